/* sb_curl_multi: many HTTP requests at once over libcurl's multi interface, bounded in flight. */
#ifndef SB_CURL_MULTI_H
#define SB_CURL_MULTI_H

#include <stddef.h>

#include "sb_curl.h"

/* One client: up to max_in_flight easy handles that share the multi
 * handle's connection cache (kept alive between runs). Not thread-safe. */
typedef struct sb_curl_multi_s sb_curl_multi_t;

#define SB_CURL_MULTI_MAX_KEYS 16 /* rate-limit keys tracked per client */

sb_curl_multi_t *sb_curl_multi_new(int max_in_flight, char *errstr, size_t errstr_size);
void sb_curl_multi_destroy(sb_curl_multi_t *m); /* NULL is a no-op */

/* Request i is over: rc 0 with the server's final answer in resp (as
 * sb_curl_request's 0: check resp->status), or -1 with why (the host and
 * the reason, never a token; "interrupted" when sb_running turned 0).
 * resp is the caller's to read during the call only. */
typedef void (*sb_curl_multi_done_fn)(void *ctx, size_t i, int rc, const sb_curl_resp_t *resp,
                                      const char *why);

/* Sends reqs[0..n) with at most max_in_flight on the wire at once, in
 * order, and calls done once for each. Every request is retried as
 * sb_curl_request retries it (network errors and 5xx with backoff, up to
 * its max_attempts, each attempt within its timeout_ms). keys[i] (keys or
 * keys[i] may be NULL: no key) names the rate limit request i counts
 * against, e.g. the API method: a 429 holds back every request of its key
 * for Retry-After (capped at the request's max_backoff_ms; without one,
 * the backoff), and the others keep going. Returns when all are done. */
void sb_curl_multi_run(sb_curl_multi_t *m, const sb_curl_req_t *reqs, const char *const *keys,
                       size_t n, sb_curl_multi_done_fn done, void *ctx);

/* The most requests on the wire at once since the client was made. */
int sb_curl_multi_peak(const sb_curl_multi_t *m);

#endif
