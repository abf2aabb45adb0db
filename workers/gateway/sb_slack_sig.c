/* sb_slack_sig: signs and verifies Slack requests the documented v0 way. */
#include "sb_slack_sig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_crypto.h"

/* Longest timestamp accepted: 18 digits cannot overflow an int64_t. */
#define TS_MAX_DIGITS 18

int sb_slack_sign(const char *secret, const char *timestamp, const char *body, size_t len,
                  char out[SB_SLACK_SIG_LEN + 1]) {
    char hex[SB_SHA256_HEX_LEN + 1];
    size_t tslen, n;
    char *base;
    int rc;

    out[0] = '\0';
    if (!secret || !timestamp || (!body && len))
        return -1;
    /* the basestring: "v0:" timestamp ":" raw body */
    tslen = strlen(timestamp);
    n = 3 + tslen + 1 + len;
    base = malloc(n);
    if (!base)
        return -1;
    memcpy(base, "v0:", 3);
    memcpy(base + 3, timestamp, tslen);
    base[3 + tslen] = ':';
    if (len)
        memcpy(base + 4 + tslen, body, len);
    rc = sb_hmac_sha256_hex(secret, strlen(secret), base, n, hex);
    free(base);
    if (rc != 0 || strlen(hex) != SB_SHA256_HEX_LEN)
        return -1;
    memcpy(out, "v0=", 3);
    memcpy(out + 3, hex, SB_SHA256_HEX_LEN + 1);
    return 0;
}

static int refuse(char *reason, size_t reason_size, const char *code) {
    if (reason && reason_size)
        snprintf(reason, reason_size, "%s", code);
    return -1;
}

/* 1 when s is "v0=" followed by exactly 64 lowercase hex digits. Looks only
 * at the presented value, so it tells an attacker nothing about the secret. */
static int well_formed(const char *s) {
    if (strncmp(s, "v0=", 3) != 0 || strlen(s) != SB_SLACK_SIG_LEN)
        return 0;
    for (s += 3; *s; s++) {
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    }
    return 1;
}

int sb_slack_verify(const char *signing_secret, const char *timestamp_header,
                    const char *signature_header, const char *body, size_t body_len, int64_t now_s,
                    char *reason, size_t reason_size) {
    char expected[SB_SLACK_SIG_LEN + 1];
    int64_t ts = 0;
    size_t digits = 0;
    int ok;

    if (reason && reason_size)
        reason[0] = '\0';
    if (!timestamp_header || !*timestamp_header)
        return refuse(reason, reason_size, "missing_timestamp");
    for (const char *p = timestamp_header; *p; p++, digits++) {
        if (*p < '0' || *p > '9' || digits >= TS_MAX_DIGITS)
            return refuse(reason, reason_size, "bad_timestamp");
        ts = ts * 10 + (*p - '0');
    }
    /* replay window, both ways: a future timestamp is as suspect as an old one */
    if (ts > now_s + SB_SLACK_MAX_SKEW_S || ts < now_s - SB_SLACK_MAX_SKEW_S)
        return refuse(reason, reason_size, "stale_timestamp");
    if (!signature_header || !*signature_header)
        return refuse(reason, reason_size, "missing_signature");
    if (!well_formed(signature_header))
        return refuse(reason, reason_size, "bad_signature_format");
    if (!signing_secret || !*signing_secret ||
        sb_slack_sign(signing_secret, timestamp_header, body, body_len, expected) != 0)
        return refuse(reason, reason_size, "internal_error");
    ok = sb_crypto_equal(expected, SB_SLACK_SIG_LEN, signature_header, SB_SLACK_SIG_LEN);
    memset(expected, 0, sizeof(expected));
    return ok ? 0 : refuse(reason, reason_size, "signature_mismatch");
}
