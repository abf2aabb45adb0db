/* sb_mmctx: make and check the MAC'd context of a Mattermost button. */
#include "sb_mmctx.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Copies s into dst (size) when it is 1..size-1 bytes without '|'. */
static int field(char *dst, size_t size, const char *s) {
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= size || strchr(s, '|'))
        return -1;
    memcpy(dst, s, n + 1);
    return 0;
}

int sb_mmctx_mac(const char *secret, const sb_mmctx_t *c, char mac[SB_SHA256_HEX_LEN + 1]) {
    char msg[256];
    int n;
    sb_mmctx_t chk;

    if (!secret || !*secret || field(chk.alert_id, sizeof(chk.alert_id), c->alert_id) != 0 ||
        field(chk.action, sizeof(chk.action), c->action) != 0 ||
        field(chk.user_id, sizeof(chk.user_id), c->user_id) != 0)
        return -1;
    n = snprintf(msg, sizeof(msg), SB_MMCTX_VERSION "|%s|%s|%s|%" PRId64, c->alert_id, c->action,
                 c->user_id, c->expires);
    if (n < 0 || (size_t)n >= sizeof(msg))
        return -1;
    return sb_hmac_sha256_hex(secret, strlen(secret), msg, (size_t)n, mac);
}

cJSON *sb_mmctx_make(const char *secret, const sb_mmctx_t *c) {
    char mac[SB_SHA256_HEX_LEN + 1];
    cJSON *o;

    if (sb_mmctx_mac(secret, c, mac) != 0 || !(o = cJSON_CreateObject()))
        return NULL;
    if (!cJSON_AddStringToObject(o, "alert_id", c->alert_id) ||
        !cJSON_AddStringToObject(o, "action", c->action) ||
        !cJSON_AddStringToObject(o, "user_id", c->user_id) ||
        !cJSON_AddNumberToObject(o, "expires", (double)c->expires) ||
        !cJSON_AddStringToObject(o, "mac", mac)) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

const char *sb_mmctx_reason(sb_mmctx_verdict_t v) {
    static const char *const names[] = {"ok",      "malformed_context", "bad_mac",
                                        "expired", "other_user",        "internal_error"};
    return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "internal_error";
}

static const char *get_string(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The fields of ctx into out; -1 when one is missing or malformed. */
static int read_fields(const cJSON *ctx, sb_mmctx_t *out) {
    const cJSON *exp = cJSON_GetObjectItemCaseSensitive(ctx, "expires");

    if (!cJSON_IsObject(ctx) || !cJSON_IsNumber(exp) || exp->valuedouble < 0 ||
        exp->valuedouble > 9.0e15 || exp->valuedouble != (double)(int64_t)exp->valuedouble)
        return -1;
    out->expires = (int64_t)exp->valuedouble;
    return field(out->alert_id, sizeof(out->alert_id), get_string(ctx, "alert_id")) == 0 &&
                   field(out->action, sizeof(out->action), get_string(ctx, "action")) == 0 &&
                   field(out->user_id, sizeof(out->user_id), get_string(ctx, "user_id")) == 0
               ? 0
               : -1;
}

sb_mmctx_verdict_t sb_mmctx_check(const char *secret, const cJSON *ctx, const char *user_id,
                                  int64_t now_s, sb_mmctx_t *out) {
    char want[SB_SHA256_HEX_LEN + 1];
    const char *mac = get_string(ctx, "mac");

    memset(out, 0, sizeof(*out));
    if (read_fields(ctx, out) != 0 || !mac || !user_id)
        return SB_MMCTX_MALFORMED;
    if (sb_mmctx_mac(secret, out, want) != 0)
        return SB_MMCTX_ERROR;
    if (!sb_crypto_equal(mac, strlen(mac), want, SB_SHA256_HEX_LEN))
        return SB_MMCTX_BAD_MAC;
    if (now_s > out->expires)
        return SB_MMCTX_EXPIRED;
    if (strcmp(user_id, out->user_id) != 0)
        return SB_MMCTX_OTHER_USER;
    return SB_MMCTX_OK;
}
