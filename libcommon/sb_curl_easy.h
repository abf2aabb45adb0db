/* sb_curl_easy: what sb_curl and sb_curl_multi share: one request's easy handle set-up and retry
 * rules. */
#ifndef SB_CURL_EASY_H
#define SB_CURL_EASY_H

#include <stddef.h>
#include <stdint.h>

#include <curl/curl.h>

#include "sb_buf.h"
#include "sb_curl.h"

/* The response body of one attempt. */
typedef struct {
    sb_buf_t b;   /* b.err: out of memory */
    int overflow; /* the server sent more than SB_CURL_MAX_BODY */
} sb_curl_body_t;

/* Resets easy and sets every option of req on it (body into buf, the
 * header list into *headers: the caller frees it after the transfer,
 * libcurl's messages into curlerr, CURL_ERROR_SIZE bytes). The connection
 * cache survives the reset, so keep-alive still works. 0 or -1. */
int sb_curl_easy_setup(CURL *easy, const sb_curl_req_t *req, sb_curl_body_t *buf,
                       struct curl_slist **headers, char *curlerr);

/* Moves the attempt's body into resp (NULL when empty). */
void sb_curl_take_body(sb_curl_body_t *buf, sb_curl_resp_t *resp);

/* Capped exponential backoff with equal jitter for the attempt-th failure
 * (rng: a nonzero xorshift64 state). */
long sb_curl_backoff_ms(uint64_t *rng, int attempt, long max_ms);

/* 1 for the transport failures worth another attempt (rc: a CURLcode). */
int sb_curl_transport_retryable(int rc);

/* "host[:port]" of url for messages: never its path, query or user info. */
void sb_curl_url_host(const char *url, char *out, size_t size);

/* Overwrites every occurrence of secret in s. */
void sb_curl_scrub(char *s, const char *secret);

#endif
