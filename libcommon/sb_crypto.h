/* sb_crypto: hashes, HMAC, constant-time compare, encodings and random bytes (libcrypto). */

/* SHA-256, HMAC-SHA256, constant-time compare, base64, hex, random (libcrypto).
 * Sealed boxes (AES-256-GCM) and key files are sb_aead.h. */
#ifndef SB_CRYPTO_H
#define SB_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define SB_SHA256_HEX_LEN 64

/* Incremental SHA-256; the context is opaque and stack-allocatable. */
typedef struct sb_sha256_s {
    void *md; /* EVP_MD_CTX *, owned */
} sb_sha256_t;

int sb_sha256_init(sb_sha256_t *h);
void sb_sha256_update(sb_sha256_t *h, const void *data, size_t len);
/* Writes 64 lowercase hex chars + NUL into hex[65] and frees the context. */
void sb_sha256_final_hex(sb_sha256_t *h, char hex[SB_SHA256_HEX_LEN + 1]);
/* One-shot convenience. Returns 0, or -1 when libcrypto fails. */
int sb_sha256_hex(const void *data, size_t len, char hex[SB_SHA256_HEX_LEN + 1]);

/* HMAC-SHA256 of data under key, written as hex into hex[65]. */
int sb_hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len,
                       char hex[SB_SHA256_HEX_LEN + 1]);

/* HMAC of data under key with the named digest ("SHA1", "SHA256",
 * "SHA512"), as lowercase hex into hex[hex_size] (at least twice the
 * digest's size + 1). 0, or -1 (unknown digest, buffer too small). */
int sb_hmac_hex(const char *digest_name, const void *key, size_t keylen, const void *data,
                size_t len, char *hex, size_t hex_size);

/* 1 when a and b are equal. Time depends only on the lengths, never on
 * where the first difference is. Use for signatures and codes. */
int sb_crypto_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Base64 (standard alphabet, padded). Returns a malloc'd NUL-terminated
 * string owned by the caller, or NULL on allocation failure. */
char *sb_base64_encode(const void *data, size_t len);

/* The value of one hex digit (either case), or -1. */
int sb_hex_value(char c);

/* Overwrites n bytes at p with zeros in a way the compiler cannot drop
 * (OPENSSL_cleanse): for secrets before their memory is freed. */
void sb_crypto_wipe(void *p, size_t n);

/* Fills buf with cryptographically random bytes; 0 or -1. */
int sb_random_bytes(void *buf, size_t len);

/* Bytes of randomness in a token: 256 bits, beyond guessing. */
#define SB_TOKEN_BYTES 32
/* Room for a token: a prefix of up to 7 bytes, 43 base64url characters, NUL. */
#define SB_TOKEN_MAX 52

/* A new bearer token into out (SB_TOKEN_MAX bytes): prefix ("sbi_"; a
 * leaked token is recognisable to secret scanners) then SB_TOKEN_BYTES
 * random bytes in base64url without padding (RFC 4648 section 5). 0 or -1. */
int sb_random_token(const char *prefix, char out[SB_TOKEN_MAX]);

#endif
