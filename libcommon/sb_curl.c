/* sb_curl: HTTP client for chat APIs over libcurl, with timeouts, retry and backoff. */
#include "sb_curl.h"
#include "sb_curl_easy.h"

#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "sb_buf.h"
#include "sb_log.h"
#include "sb_signal.h"
#include "sb_time.h"

#ifndef SB_VERSION
#define SB_VERSION "unknown"
#endif

#define WAIT_SLICE_MS 50 /* how quickly a backoff notices sb_running == 0 */

struct sb_curl_s {
    CURL *easy;
    uint64_t rng; /* xorshift64 state for the backoff jitter */
    char curlerr[CURL_ERROR_SIZE];
};

/* The host of an http:// URL (after the scheme) is loopback. */
static int loopback_host(const char *rest) {
    static const char *const hosts[] = {"localhost", "[::1]", "127."};
    size_t hl = strcspn(rest, ":/?#");
    if (rest[0] == '[') /* a bracketed IPv6 address ends at its ']' */
        hl = strcspn(rest, "]") + 1;
    if (memchr(rest, '@', strcspn(rest, "/?#"))) /* user@host: refuse rather than parse */
        return 0;
    for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
        size_t n = strlen(hosts[i]);
        int prefix = hosts[i][n - 1] == '.';
        if (prefix ? hl > n && strncmp(rest, hosts[i], n) == 0 &&
                         strspn(rest + n, "0123456789.") >= hl - n
                   : hl == n && strncasecmp(rest, hosts[i], n) == 0)
            return 1;
    }
    return 0;
}

int sb_curl_check_secret_url(const char *what, const char *url, char *errstr, size_t errstr_size) {
    if (url && strncasecmp(url, "https://", 8) == 0 && url[8])
        return 0;
    if (url && strncasecmp(url, "http://", 7) == 0 && loopback_host(url + 7))
        return 0;
    /* the URL itself is not echoed: it may hold credentials (user:pass@) */
    snprintf(errstr, errstr_size,
             "%s must be an https:// URL (http:// only to localhost, 127.0.0.0/8 or [::1]): "
             "it carries a secret, which must not travel in clear",
             what);
    return -1;
}

sb_curl_t *sb_curl_new(char *errstr, size_t errstr_size) {
    sb_curl_t *c;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(errstr, errstr_size, "curl: global initialisation failed");
        return NULL;
    }
    c = calloc(1, sizeof(*c));
    if (!c || !(c->easy = curl_easy_init())) {
        snprintf(errstr, errstr_size, "curl: cannot create a handle (out of memory?)");
        free(c);
        curl_global_cleanup();
        return NULL;
    }
    c->rng = (uint64_t)sb_time_monotonic_us() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)c;
    if (c->rng == 0)
        c->rng = 0x9e3779b97f4a7c15ULL;
    return c;
}

void sb_curl_destroy(sb_curl_t *c) {
    if (!c)
        return;
    curl_easy_cleanup(c->easy); /* closes the kept-alive connections */
    free(c);
    curl_global_cleanup();
}

void sb_curl_resp_clear(sb_curl_resp_t *resp) {
    if (!resp)
        return;
    free(resp->body);
    memset(resp, 0, sizeof(*resp));
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata) {
    sb_curl_body_t *b = userdata;
    size_t n = size * nmemb;
    if (n > SB_CURL_MAX_BODY - b->b.len) {
        b->overflow = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    sb_buf_add(&b->b, ptr, n);
    return b->b.err ? 0 : n;
}

/* "host" or "host:port" of url, for messages: never the path, query or
 * user info, which may carry secrets. */
void sb_curl_url_host(const char *url, char *out, size_t size) {
    CURLU *u = curl_url();
    char *host = NULL, *port = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
            snprintf(out, size, "%s:%s", host, port);
        else
            snprintf(out, size, "%s", host);
    } else {
        snprintf(out, size, "(malformed URL)");
    }
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
}

/* Overwrites every occurrence of secret in s: belt and braces, in case a
 * library message ever quotes it. */
void sb_curl_scrub(char *s, const char *secret) {
    size_t n = secret ? strlen(secret) : 0;
    char *p;
    if (n == 0)
        return;
    while ((p = strstr(s, secret)) != NULL)
        memset(p, '*', n);
}

/* Transport failures worth another attempt: the server may be back soon. */
int sb_curl_transport_retryable(int rc) {
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return 1;
    default: return 0;
    }
}

/* Capped exponential backoff with "equal jitter": half the step fixed, half
 * random, so that clients that failed together do not retry together. */
long sb_curl_backoff_ms(uint64_t *rng, int attempt, long max_ms) {
    long step = SB_CURL_BASE_BACKOFF_MS;
    for (int i = 1; i < attempt && step < max_ms; i++)
        step *= 2;
    if (step > max_ms)
        step = max_ms;
    *rng ^= *rng << 13;
    *rng ^= *rng >> 7;
    *rng ^= *rng << 17;
    return step / 2 + (long)(*rng % (uint64_t)(step / 2 + 1));
}

/* Sleeps ms in short slices; -1 as soon as sb_running turns 0. */
static int wait_ms(long ms) {
    int64_t end = sb_time_monotonic_us() + (int64_t)ms * 1000;
    while (sb_running) {
        int64_t left_us = end - sb_time_monotonic_us();
        if (left_us <= 0)
            return 0;
        if (left_us > WAIT_SLICE_MS * 1000)
            left_us = WAIT_SLICE_MS * 1000;
        struct timespec ts = {0, (long)left_us * 1000};
        nanosleep(&ts, NULL);
    }
    return -1;
}

#define SETOPT(opt, val)                                                                           \
    do {                                                                                           \
        if (rc == CURLE_OK)                                                                        \
            rc = curl_easy_setopt(easy, opt, val);                                                 \
    } while (0)

/* Sets every option of the request on the (reset) handle; the connection
 * cache survives curl_easy_reset, so keep-alive still works. */
int sb_curl_easy_setup(CURL *easy, const sb_curl_req_t *req, sb_curl_body_t *buf,
                       struct curl_slist **headers, char *curlerr) {
    CURLcode rc = CURLE_OK;
    long timeout = req->timeout_ms > 0 ? req->timeout_ms : SB_CURL_DEFAULT_TIMEOUT_MS;
    long connect =
        timeout < SB_CURL_MAX_CONNECT_TIMEOUT_MS ? timeout : SB_CURL_MAX_CONNECT_TIMEOUT_MS;
    int post = strcmp(req->method, "GET") != 0; /* POST or PUT: a body */
    struct curl_slist *h, *tmp;
    char ctype[256];

    curl_easy_reset(easy);
    SETOPT(CURLOPT_URL, req->url);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: the string form; the bitmask is deprecated */
    SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
    SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    SETOPT(CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    SETOPT(CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
    SETOPT(CURLOPT_NOSIGNAL, 1L); /* no SIGALRM for DNS timeouts: threads and signals */
    SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
    SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
    SETOPT(CURLOPT_CONNECTTIMEOUT_MS, connect);
    SETOPT(CURLOPT_TIMEOUT_MS, timeout);
    SETOPT(CURLOPT_TCP_KEEPALIVE, 1L);
    SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)SB_CURL_MAX_BODY);
    SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
    SETOPT(CURLOPT_WRITEDATA, buf);
    SETOPT(CURLOPT_ERRORBUFFER, curlerr);
    SETOPT(CURLOPT_USERAGENT, "securitybot/" SB_VERSION);
    if (req->bearer_token) { /* libcurl sends "Authorization: Bearer <token>" */
        SETOPT(CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
        SETOPT(CURLOPT_XOAUTH2_BEARER, req->bearer_token);
    }
    h = curl_slist_append(NULL, "Expect:"); /* no 100-continue round trip */
    if (h && post && req->content_type) {
        snprintf(ctype, sizeof(ctype), "Content-Type: %s", req->content_type);
        tmp = curl_slist_append(h, ctype);
        if (!tmp)
            curl_slist_free_all(h);
        h = tmp;
    }
    for (const char *const *x = req->headers; h && x && *x; x++) {
        tmp = curl_slist_append(h, *x);
        if (!tmp)
            curl_slist_free_all(h);
        h = tmp;
    }
    *headers = h;
    if (!h)
        return -1;
    SETOPT(CURLOPT_HTTPHEADER, h);
    if (post) {
        SETOPT(CURLOPT_POST, 1L);
        SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(req->body ? req->body_len : 0));
        SETOPT(CURLOPT_POSTFIELDS, req->body ? req->body : "");
        if (strcmp(req->method, "PUT") == 0) /* the same body, another verb */
            SETOPT(CURLOPT_CUSTOMREQUEST, "PUT");
    } else {
        SETOPT(CURLOPT_HTTPGET, 1L);
    }
    return rc == CURLE_OK ? 0 : -1;
}

/* Moves the attempt's body into resp (NULL when empty). */
void sb_curl_take_body(sb_curl_body_t *buf, sb_curl_resp_t *resp) {
    free(resp->body);
    resp->body_len = buf->b.len;
    resp->body = buf->b.len ? sb_buf_take(&buf->b) : NULL;
}

/* One attempt: 0 final answer, 1 retry after *delay (reason in why), -1 fail. */
static int attempt(sb_curl_t *c, const sb_curl_req_t *req, sb_curl_body_t *buf,
                   sb_curl_resp_t *resp, long max_backoff, long *delay, char *why,
                   size_t why_size) {
    CURLcode rc;
    long status = 0;
    curl_off_t retry_after = 0;

    sb_buf_reset(&buf->b);
    buf->overflow = 0;
    c->curlerr[0] = '\0';
    resp->attempts++;
    rc = curl_easy_perform(c->easy);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(c->easy, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_getinfo(c->easy, CURLINFO_RETRY_AFTER, &retry_after);
    }
    resp->status = status;
    resp->retry_after_s = (long)retry_after;
    if (buf->overflow || rc == CURLE_FILESIZE_EXCEEDED || buf->b.err) {
        snprintf(why, why_size, "%s",
                 buf->b.err ? "out of memory reading the response" : "response body exceeds 1 MiB");
        return -1;
    }
    if (rc != CURLE_OK) {
        snprintf(why, why_size, "%s", c->curlerr[0] ? c->curlerr : curl_easy_strerror(rc));
        *delay = sb_curl_backoff_ms(&c->rng, resp->attempts, max_backoff);
        return sb_curl_transport_retryable(rc) ? 1 : -1;
    }
    sb_curl_take_body(buf, resp);
    if (status == 429 && retry_after > 0) {
        snprintf(why, why_size, "HTTP 429 (Retry-After: %ld s)", (long)retry_after);
        *delay = retry_after > max_backoff / 1000 ? max_backoff : (long)retry_after * 1000;
        return 1;
    }
    if (status == 429 || status >= 500) {
        snprintf(why, why_size, "HTTP %ld", status);
        *delay = sb_curl_backoff_ms(&c->rng, resp->attempts, max_backoff);
        return 1;
    }
    return 0;
}

int sb_curl_request(sb_curl_t *c, const sb_curl_req_t *req, sb_curl_resp_t *resp, char *errstr,
                    size_t errstr_size) {
    char host[256], why[CURL_ERROR_SIZE + 64] = "";
    sb_curl_body_t buf = {0};
    struct curl_slist *headers = NULL;
    long max_backoff, delay = 0;
    int max_attempts, ret = -1, r;

    memset(resp, 0, sizeof(*resp));
    if (!c || !req || !req->url || !req->method ||
        (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0 &&
         strcmp(req->method, "PUT") != 0)) {
        snprintf(errstr, errstr_size, "curl: invalid request (needs a URL and GET, POST or PUT)");
        return -1;
    }
    sb_curl_url_host(req->url, host, sizeof(host));
    max_attempts = req->max_attempts < 1 ? 1 : req->max_attempts;
    max_backoff = req->max_backoff_ms > 0 ? req->max_backoff_ms : SB_CURL_DEFAULT_MAX_BACKOFF_MS;
    if (sb_curl_easy_setup(c->easy, req, &buf, &headers, c->curlerr) == -1) {
        snprintf(errstr, errstr_size, "%s: cannot set up the request", host);
        goto out;
    }
    for (;;) {
        r = attempt(c, req, &buf, resp, max_backoff, &delay, why, sizeof(why));
        if (r == 0) {
            ret = 0;
            break;
        }
        /* a success writes no reason: only a failure's is scrubbed */
        sb_curl_scrub(why, req->bearer_token);
        if (r == -1) {
            snprintf(errstr, errstr_size, "%s: %s", host, why);
            break;
        }
        if (resp->attempts >= max_attempts) {
            snprintf(errstr, errstr_size, "%s: %s (gave up after %d attempts)", host, why,
                     resp->attempts);
            break;
        }
        sb_log_kv(SB_LOG_WARN, (sb_log_kv_t[]){{"host", host}}, 1,
                  "%s request failed, retrying in %ld ms (attempt %d of %d): %s", req->method,
                  delay, resp->attempts, max_attempts, why);
        if (wait_ms(delay) == -1) {
            snprintf(errstr, errstr_size, "%s: interrupted while waiting to retry after %s", host,
                     why);
            break;
        }
    }
out:
    if (ret == -1)
        sb_curl_scrub(errstr, req->bearer_token);
    curl_slist_free_all(headers);
    curl_easy_setopt(c->easy, CURLOPT_HTTPHEADER, NULL); /* the list is freed */
    sb_buf_free(&buf.b);
    return ret;
}
