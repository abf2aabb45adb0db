/* sb_crypto: SHA-256, HMAC-SHA256, constant-time compare, base64, hex, random (libcrypto). */
#include "sb_crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libcrypto takes int lengths; larger inputs are fed in pieces of this size
 * (a multiple of 3 so that base64 chunks concatenate without padding). */
#define CHUNK ((size_t)3 << 28)

static void to_hex(const unsigned char *md, size_t len, char *hex) {
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0x0f];
    }
    hex[2 * len] = '\0';
}

int sb_sha256_init(sb_sha256_t *h) {
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    h->md = NULL;
    if (!ctx)
        return -1;
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return -1;
    }
    h->md = ctx;
    return 0;
}

/* A failed update poisons the context: final then yields "" instead of a
 * digest of partial input. */
void sb_sha256_update(sb_sha256_t *h, const void *data, size_t len) {
    if (!h->md || len == 0)
        return;
    if (EVP_DigestUpdate(h->md, data, len) != 1) {
        EVP_MD_CTX_free(h->md);
        h->md = NULL;
    }
}

void sb_sha256_final_hex(sb_sha256_t *h, char hex[SB_SHA256_HEX_LEN + 1]) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;

    hex[0] = '\0';
    if (!h->md)
        return;
    if (EVP_DigestFinal_ex(h->md, md, &mdlen) == 1 && mdlen == SB_SHA256_HEX_LEN / 2)
        to_hex(md, mdlen, hex);
    EVP_MD_CTX_free(h->md);
    h->md = NULL;
}

int sb_sha256_hex(const void *data, size_t len, char hex[SB_SHA256_HEX_LEN + 1]) {
    sb_sha256_t h;
    if (sb_sha256_init(&h) == -1) {
        hex[0] = '\0';
        return -1;
    }
    sb_sha256_update(&h, data, len);
    sb_sha256_final_hex(&h, hex);
    return hex[0] ? 0 : -1;
}

int sb_hmac_hex(const char *digest_name, const void *key, size_t keylen, const void *data,
                size_t len, char *hex, size_t hex_size) {
    static const unsigned char empty[1] = {0};
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    char digest[16];
    OSSL_PARAM params[2];
    EVP_MAC *alg = NULL;
    EVP_MAC_CTX *ctx = NULL;
    int rc = -1;

    if (hex_size)
        hex[0] = '\0';
    if (!digest_name || strlen(digest_name) >= sizeof(digest))
        return -1;
    strcpy(digest, digest_name);
    /* HMAC is defined for an empty key; libcrypto wants a non-NULL pointer. */
    if (!key || keylen == 0) {
        key = empty;
        keylen = 0;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0);
    params[1] = OSSL_PARAM_construct_end();

    alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!alg)
        goto out;
    ctx = EVP_MAC_CTX_new(alg);
    if (!ctx || EVP_MAC_init(ctx, key, keylen, params) != 1)
        goto out;
    for (size_t off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        if (EVP_MAC_update(ctx, (const unsigned char *)data + off, n) != 1)
            goto out;
    }
    if (EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) != 1 || hex_size < 2 * maclen + 1)
        goto out;
    to_hex(mac, maclen, hex);
    rc = 0;
out:
    OPENSSL_cleanse(mac, sizeof(mac));
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(alg);
    return rc;
}

int sb_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len,
                       char hex[SB_SHA256_HEX_LEN + 1]) {
    return sb_hmac_hex("SHA256", key, keylen, data, len, hex, SB_SHA256_HEX_LEN + 1);
}

/* A length mismatch returns 0 after the same amount of work as comparing
 * `a` with an equal-length value, so timing reveals lengths, not content. */
int sb_crypto_equal(const void *a, size_t alen, const void *b, size_t blen) {
    if ((alen && !a) || (blen && !b))
        return 0;
    if (alen != blen) {
        if (alen)
            (void)CRYPTO_memcmp(a, a, alen);
        return 0;
    }
    if (alen == 0)
        return 1;
    return CRYPTO_memcmp(a, b, alen) == 0;
}

char *sb_base64_encode(const void *data, size_t len) {
    const unsigned char *in = data;
    size_t groups = len / 3 + (len % 3 != 0);
    size_t o = 0;
    char *out;

    if (groups > (SIZE_MAX - 1) / 4)
        return NULL;
    out = malloc(groups * 4 + 1);
    if (!out)
        return NULL;
    out[0] = '\0';
    for (size_t off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        o += (size_t)EVP_EncodeBlock((unsigned char *)out + o, in + off, (int)n);
    }
    out[o] = '\0';
    return out;
}

int sb_random_bytes(void *buf, size_t len) {
    for (size_t off = 0; off < len; off += CHUNK) {
        size_t n = len - off < CHUNK ? len - off : CHUNK;
        if (RAND_bytes((unsigned char *)buf + off, (int)n) != 1)
            return -1;
    }
    return 0;
}

int sb_hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void sb_crypto_wipe(void *p, size_t n) {
    if (p && n)
        OPENSSL_cleanse(p, n);
}

/* Base64url without padding: 43 characters for 32 bytes. */
static void base64url(const unsigned char *in, size_t n, char *out) {
    static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = abc[v >> 18 & 63];
        out[o++] = abc[v >> 12 & 63];
        if (i + 1 < n)
            out[o++] = abc[v >> 6 & 63];
        if (i + 2 < n)
            out[o++] = abc[v & 63];
    }
    out[o] = '\0';
}

int sb_random_token(const char *prefix, char out[SB_TOKEN_MAX]) {
    unsigned char raw[SB_TOKEN_BYTES];
    size_t n = strlen(prefix);
    if (n > 7 || sb_random_bytes(raw, sizeof(raw)) != 0)
        return -1;
    memcpy(out, prefix, n);
    base64url(raw, sizeof(raw), out + n);
    sb_crypto_wipe(raw, sizeof(raw));
    return 0;
}
