/* sb_totp: RFC 6238 codes on liboath, the replay-safe check, secrets, base32 and key URIs. */

/* liboath keeps no state of ours: every code is computed between
 * oath_init() and oath_done(), which are cheap and reference-free in
 * liboath 2.x, so callers need no init function. */
#include "sb_totp.h"

#include <liboath/oath.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_crypto.h"
#include "sb_url.h"

#define URI_PREFIX "otpauth://totp/"
#define URI_SUFFIX "&algorithm=SHA1&digits=6&period=30"

int64_t sb_totp_step(int64_t now_s) {
    return now_s < 0 ? -1 : now_s / SB_TOTP_PERIOD;
}

int sb_totp_code(const unsigned char *secret, size_t len, int64_t step,
                 char out[SB_TOTP_DIGITS + 1]) {
    int rc;

    out[0] = '\0';
    if (!secret || len == 0 || step < 0)
        return -1;
    if (oath_init() != OATH_OK)
        return -1;
    /* TOTP is HOTP with the time step as the counter (RFC 6238 section 4). */
    rc = oath_hotp_generate((const char *)secret, len, (uint64_t)step, SB_TOTP_DIGITS, false,
                            OATH_HOTP_DYNAMIC_TRUNCATION, out);
    oath_done();
    if (rc != OATH_OK || !sb_totp_code_wellformed(out)) {
        explicit_bzero(out, SB_TOTP_DIGITS + 1);
        return -1;
    }
    return 0;
}

int sb_totp_code_wellformed(const char *code) {
    if (!code)
        return 0;
    for (int i = 0; i < SB_TOTP_DIGITS; i++)
        if (code[i] < '0' || code[i] > '9')
            return 0; /* also stops at a short string's NUL */
    return code[SB_TOTP_DIGITS] == '\0';
}

/* Every candidate step is computed and compared, whatever the earlier ones
 * gave, so the time taken does not say which step (if any) matched. */
int sb_totp_verify(const unsigned char *secret, size_t len, const char *code, int64_t now_s,
                   int64_t last_step, int64_t *matched_step) {
    int64_t now_step = sb_totp_step(now_s);
    int64_t found = -1;
    int failed = 0;

    if (!secret || len == 0 || now_step < 0 || !sb_totp_code_wellformed(code))
        return -1;
    for (int64_t step = now_step - 1; step <= now_step + 1; step++) {
        char cand[SB_TOTP_DIGITS + 1];
        int eq;

        if (step < 0)
            continue;
        if (sb_totp_code(secret, len, step, cand) == -1) {
            failed = 1; /* fail closed, but finish the loop */
            continue;
        }
        eq = sb_crypto_equal(cand, SB_TOTP_DIGITS, code, SB_TOTP_DIGITS);
        explicit_bzero(cand, sizeof(cand));
        if (eq && step > last_step)
            found = step; /* steps ascend: the latest match wins */
    }
    if (failed || found < 0)
        return -1;
    if (matched_step)
        *matched_step = found;
    return 0;
}

int sb_totp_secret_new(unsigned char out[SB_TOTP_SECRET_LEN]) {
    return sb_random_bytes(out, SB_TOTP_SECRET_LEN);
}

char *sb_base32_encode(const unsigned char *data, size_t len) {
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    char *out;

    if (len > (SIZE_MAX - 1) / 8 * 5)
        return NULL;
    out = malloc((len * 8 + 4) / 5 + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8 | data[i]) & 0xfff; /* at most 4 + 8 bits are pending */
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[o++] = alphabet[(acc >> bits) & 0x1f];
        }
    }
    if (bits > 0)
        out[o++] = alphabet[(acc << (5 - bits)) & 0x1f];
    out[o] = '\0';
    return out;
}

static char *append(char *out, const char *s) {
    size_t n = strlen(s);
    memcpy(out, s, n);
    return out + n;
}

char *sb_totp_uri(const char *issuer, const char *account, const unsigned char *secret,
                  size_t len) {
    char *b32 = NULL, *uri = NULL, *p;
    size_t ilen, alen, size;

    if (!issuer || !*issuer || !account || !*account || !secret || len == 0)
        return NULL;
    ilen = strlen(issuer);
    alen = strlen(account);
    if (ilen > SIZE_MAX / 8 || alen > SIZE_MAX / 8)
        return NULL;
    b32 = sb_base32_encode(secret, len);
    if (!b32)
        return NULL;
    /* worst case: every issuer/account byte becomes %XX; the issuer appears twice */
    size = sizeof(URI_PREFIX) + 3 * ilen + 1 + 3 * alen + sizeof("?secret=") + strlen(b32) +
           sizeof("&issuer=") + 3 * ilen + sizeof(URI_SUFFIX);
    uri = malloc(size);
    if (!uri)
        goto out;
    p = append(uri, URI_PREFIX);
    p += sb_url_encode(p, size - (size_t)(p - uri), issuer, NULL);
    *p++ = ':';
    p += sb_url_encode(p, size - (size_t)(p - uri), account, NULL);
    p = append(p, "?secret=");
    p = append(p, b32);
    p = append(p, "&issuer=");
    p += sb_url_encode(p, size - (size_t)(p - uri), issuer, NULL);
    p = append(p, URI_SUFFIX);
    *p = '\0';
out:
    explicit_bzero(b32, strlen(b32));
    free(b32);
    return uri;
}

/* "sb-totp-v1|" + the employee id: what a sealed secret is bound to. */
static int totp_aad(const char *employee_id, char *aad, size_t size) {
    int n = employee_id ? snprintf(aad, size, "sb-totp-v1|%s", employee_id) : -1;
    return (n < 0 || (size_t)n >= size) ? -1 : n;
}

int sb_totp_seal(const unsigned char key[SB_AEAD_KEY_LEN], const char *employee_id,
                 const unsigned char secret[SB_TOTP_SECRET_LEN],
                 unsigned char out[SB_TOTP_SEALED_LEN]) {
    char aad[96];
    size_t outlen = 0;
    int n = totp_aad(employee_id, aad, sizeof(aad));
    if (n < 0 || !key || !secret || !out)
        return -1;
    if (sb_aead_seal(key, secret, SB_TOTP_SECRET_LEN, aad, (size_t)n, out, &outlen) == -1 ||
        outlen != SB_TOTP_SEALED_LEN)
        return -1;
    return 0;
}

int sb_totp_open(const unsigned char key[SB_AEAD_KEY_LEN], const char *employee_id,
                 const unsigned char *in, size_t inlen, unsigned char secret[SB_TOTP_SECRET_LEN]) {
    char aad[96];
    size_t len = 0;
    int n = totp_aad(employee_id, aad, sizeof(aad));
    if (n < 0 || !key || !in || !secret || inlen != SB_TOTP_SEALED_LEN)
        return -1;
    if (sb_aead_open(key, in, inlen, aad, (size_t)n, secret, &len) == -1 ||
        len != SB_TOTP_SECRET_LEN) {
        memset(secret, 0, SB_TOTP_SECRET_LEN);
        return -1;
    }
    return 0;
}
