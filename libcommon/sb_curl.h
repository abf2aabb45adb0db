/* sb_curl: HTTP client for chat APIs over libcurl, with timeouts, retry and backoff. */
#ifndef SB_CURL_H
#define SB_CURL_H

#include <stddef.h>

/* Largest response body accepted; a larger one fails the request. */
#define SB_CURL_MAX_BODY (1024 * 1024)

#define SB_CURL_DEFAULT_TIMEOUT_MS     10000
#define SB_CURL_MAX_CONNECT_TIMEOUT_MS 5000
#define SB_CURL_DEFAULT_MAX_BACKOFF_MS 30000
#define SB_CURL_BASE_BACKOFF_MS        200

/* One client: a single libcurl easy handle, reused so that connections are
 * kept alive between requests. Not thread-safe: use one per thread. */
typedef struct sb_curl_s sb_curl_t;

typedef struct {
    const char *method;       /* "GET", "POST" or "PUT" (with a body, like POST) */
    const char *url;          /* http:// or https:// only */
    const char *bearer_token; /* NULL: no Authorization; never logged nor in errstr */
    const char *content_type; /* POST and PUT only; NULL: none */
    const char *body;         /* POST and PUT only; NULL: empty */
    size_t body_len;
    long timeout_ms;            /* each attempt, whole exchange; 0: SB_CURL_DEFAULT_TIMEOUT_MS */
    int max_attempts;           /* including the first; < 1 means 1 */
    long max_backoff_ms;        /* cap on one wait between attempts; 0: default */
    const char *const *headers; /* NULL-terminated "Name: value" lines, or NULL; they may
                                 * carry credentials: never logged nor in errstr */
} sb_curl_req_t;

typedef struct {
    long status; /* last HTTP status, 0 when none was received */
    char *body;  /* malloc'd, NUL-terminated; NULL when none */
    size_t body_len;
    long retry_after_s; /* last Retry-After in seconds, 0 when absent */
    int attempts;       /* attempts made */
} sb_curl_resp_t;

/* Checks a URL that requests will carry a secret to (a bot token, a
 * routing key): https://, or http:// only to a loopback host (localhost,
 * 127.0.0.0/8, [::1]: a local proxy or a test's fake), so that a typo
 * cannot send a secret in clear. what names the variable in errstr.
 * 0, or -1 with errstr (the URL is quoted, the secret never). */
int sb_curl_check_secret_url(const char *what, const char *url, char *errstr, size_t errstr_size);

sb_curl_t *sb_curl_new(char *errstr, size_t errstr_size);
void sb_curl_destroy(sb_curl_t *c); /* NULL is a no-op */

/* Sends req, retrying network errors (connect, timeout, reset) and HTTP 5xx
 * with capped exponential backoff and jitter, and HTTP 429 after its
 * Retry-After (capped at max_backoff_ms; without one, the backoff).
 *
 * Returns 0 when the server gave a final answer: 2xx or any status that is
 * not retried (other 4xx, 3xx; redirects are not followed) -- check
 * resp->status. Returns -1 with errstr (naming the URL's host, never the
 * token) when the attempts ran out, on a non-retryable transport error
 * (bad URL, protocol, TLS verification), on a response over
 * SB_CURL_MAX_BODY, or "interrupted" when sb_running turned 0 during a
 * wait. resp is overwritten (clear a previous body first) and filled in
 * both cases; free it with sb_curl_resp_clear. */
int sb_curl_request(sb_curl_t *c, const sb_curl_req_t *req, sb_curl_resp_t *resp, char *errstr,
                    size_t errstr_size);

/* Frees the body and zeroes resp; safe on a zeroed or cleared resp. */
void sb_curl_resp_clear(sb_curl_resp_t *resp);

#endif
