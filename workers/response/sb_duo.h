/* sb_duo: calls to Duo's Auth API v2 and the reading of its answers. */

/* One signed call to Duo's Auth API v2 (sb_duo_sign), and the reading of
 * its answers into what the conversation needs. The readers are pure and
 * take the "response" member of Duo's {"stat":"OK","response":{...}}
 * envelope. One call is one attempt: the caller owns retries and their
 * backoff (the conversation must not wait inside a call). */
#ifndef SB_DUO_H
#define SB_DUO_H

#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "sb_curl.h"
#include "sb_duo_sign.h"

#define SB_DUO_TXID_SIZE 128
#define SB_DUO_MSG_SIZE  256

typedef struct {
    const char *api_host; /* signed, always */
    const char *base_url; /* "https://" + api_host, or a fake's URL */
    const char *ikey;
    const char *skey; /* secret: never logged */
    long timeout_ms;  /* one attempt, whole exchange */
} sb_duo_config_t;

typedef enum {
    SB_DUO_ANSWERED,    /* stat OK: *response set */
    SB_DUO_UNAVAILABLE, /* network error, timeout, 429, 5xx, or no envelope: retry later */
    SB_DUO_REFUSED,     /* stat FAIL on a 4xx: our request or credentials; retrying won't help */
} sb_duo_result_t;

/* Signs and sends one request (params in the body for POST, the query for
 * GET), dated now. On SB_DUO_ANSWERED *response is the owned "response"
 * member; otherwise errstr says why (Duo's code and message, never the
 * key). */
sb_duo_result_t sb_duo_call(sb_curl_t *c, const sb_duo_config_t *cfg, const char *method,
                            const char *path, const sb_duo_param_t *params, size_t n, time_t now,
                            cJSON **response, char *errstr, size_t errstr_size);

/* Reads Duo's answer: HTTP status and body. Pure (sb_duo_call's second
 * half, and the fuzz target's). */
sb_duo_result_t sb_duo_read(long status, const char *body, size_t len, cJSON **response,
                            char *errstr, size_t errstr_size);

typedef enum {
    SB_DUO_PREAUTH_PUSH,    /* result auth, a device that can take a push */
    SB_DUO_PREAUTH_NO_PUSH, /* result auth, but no device takes a push (passcode only) */
    SB_DUO_PREAUTH_ALLOW,   /* result allow: bypass */
    SB_DUO_PREAUTH_DENY,    /* result deny */
    SB_DUO_PREAUTH_ENROLL,  /* result enroll */
} sb_duo_preauth_t;

/* preauth's result; status_msg into msg (may be ""). 0, or -1 when the
 * answer is not one of Duo's. */
int sb_duo_read_preauth(const cJSON *response, sb_duo_preauth_t *out, char msg[SB_DUO_MSG_SIZE]);

/* auth with async=1: the txid (1 to SB_DUO_TXID_SIZE - 1 printable ASCII). 0 or -1. */
int sb_duo_read_txid(const cJSON *response, char txid[SB_DUO_TXID_SIZE]);

typedef enum {
    SB_DUO_WAITING, /* result waiting: ask again */
    SB_DUO_ALLOW,   /* approved (also a passcode accepted) */
    SB_DUO_DENY,    /* denied (also a passcode refused) */
    SB_DUO_FRAUD,   /* denied with status fraud: the employee reported it */
    SB_DUO_TIMEOUT, /* denied with status timeout: nobody answered the push */
} sb_duo_status_t;

/* auth_status's (or a synchronous auth's) result. 0, or -1 when it is not
 * one of Duo's. */
int sb_duo_read_status(const cJSON *response, sb_duo_status_t *out, char msg[SB_DUO_MSG_SIZE]);

#endif
