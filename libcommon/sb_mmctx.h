/* sb_mmctx: the proof a Mattermost button carries in its integration.context (HMAC-SHA256). */

/* Mattermost does not sign the requests it sends to integrations, so each
 * button carries our own proof: the alert id, the action, the employee's
 * Mattermost user id and an expiry, with an HMAC-SHA256 of those under
 * MATTERMOST_ACTIONS_SECRET. Made by whichever worker builds the message,
 * checked by sb-gateway: sb_chat_mattermost.c makes it, the gateway's
 * mattermost.c checks it. */
#ifndef SB_MMCTX_H
#define SB_MMCTX_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sb_crypto.h"

/* The MAC's version prefix: another format gets another prefix. */
#define SB_MMCTX_VERSION "sbmm1"
/* Field limits: alert ids are 64 hex digits; Mattermost user ids 26 chars. */
#define SB_MMCTX_ALERT_MAX  64
#define SB_MMCTX_ACTION_MAX 16
#define SB_MMCTX_USER_MAX   64

/* One button's context. */
typedef struct {
    char alert_id[SB_MMCTX_ALERT_MAX + 1];
    char action[SB_MMCTX_ACTION_MAX + 1]; /* confirm, deny, not_me; code, words (dialogs) */
    char user_id[SB_MMCTX_USER_MAX + 1];  /* the Mattermost user it is for */
    int64_t expires;                      /* Unix seconds */
} sb_mmctx_t;

/* hex HMAC-SHA256(secret, "sbmm1|" alert_id "|" action "|" user_id "|"
 * expires) into mac. 0, or -1 on a field that is empty, too long or holds
 * '|', or a libcrypto failure. */
int sb_mmctx_mac(const char *secret, const sb_mmctx_t *c, char mac[SB_SHA256_HEX_LEN + 1]);

/* The context object for integration.context: {"alert_id", "action",
 * "user_id", "expires", "mac"}. Owned by the caller; NULL on error. */
cJSON *sb_mmctx_make(const char *secret, const sb_mmctx_t *c);

/* Why a context was refused (stable codes for logs and tests). */
typedef enum {
    SB_MMCTX_OK,
    SB_MMCTX_MALFORMED,  /* a field missing, of the wrong type or too long */
    SB_MMCTX_BAD_MAC,    /* the MAC does not match (compared in constant time) */
    SB_MMCTX_EXPIRED,    /* now is past expires */
    SB_MMCTX_OTHER_USER, /* the click's user is not the one named in it */
    SB_MMCTX_ERROR,      /* libcrypto failed */
} sb_mmctx_verdict_t;

const char *sb_mmctx_reason(sb_mmctx_verdict_t v);

/* Checks ctx (the request's context object) for a click by user_id at
 * now_s: MAC first, then the expiry, then the user. On OK, out has the
 * fields. */
sb_mmctx_verdict_t sb_mmctx_check(const char *secret, const cJSON *ctx, const char *user_id,
                                  int64_t now_s, sb_mmctx_t *out);

#endif
