/* sb_crypto: SHA-256, HMAC-SHA256, constant-time compare, base64, random (libcrypto). */
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

/* AES-256-GCM (authenticated encryption, e.g. of TOTP secrets at rest).
 * A sealed box is nonce (12, random) | ciphertext (len) | tag (16). The
 * AAD is authenticated but not stored: bind the box to its context (table,
 * row, purpose) so it cannot be moved elsewhere. */
#define SB_AEAD_KEY_LEN   32
#define SB_AEAD_NONCE_LEN 12
#define SB_AEAD_TAG_LEN   16
#define SB_AEAD_OVERHEAD  (SB_AEAD_NONCE_LEN + SB_AEAD_TAG_LEN) /* 28 */

/* Seals pt into out, which must hold len + SB_AEAD_OVERHEAD bytes and not
 * overlap pt; *outlen gets that size. A fresh random nonce per call, so
 * sealing the same plaintext twice gives different boxes. 0 or -1. */
int sb_aead_seal(const unsigned char key[SB_AEAD_KEY_LEN], const void *pt, size_t len,
                 const void *aad, size_t aadlen, unsigned char *out, size_t *outlen);

/* FOR TESTS ONLY (known-answer vectors): sb_aead_seal with a caller-chosen
 * nonce. Reusing a nonce under one key reveals plaintexts and lets anyone
 * forge boxes; production code calls sb_aead_seal. */
int sb_aead_seal_with_nonce(const unsigned char key[SB_AEAD_KEY_LEN],
                            const unsigned char nonce[SB_AEAD_NONCE_LEN], const void *pt,
                            size_t len, const void *aad, size_t aadlen, unsigned char *out,
                            size_t *outlen);

/* Opens a box from sb_aead_seal into pt, which must hold
 * inlen - SB_AEAD_OVERHEAD bytes and not overlap in; *ptlen gets that
 * size. Returns -1, with pt wiped and *ptlen 0, when the input is shorter
 * than the overhead, the key or AAD differ, or any byte was changed. */
int sb_aead_open(const unsigned char key[SB_AEAD_KEY_LEN], const unsigned char *in, size_t inlen,
                 const void *aad, size_t aadlen, unsigned char *pt, size_t *ptlen);

/* Loads a 32-byte key from path: 64 hex digits or 44 characters of padded
 * base64, optionally followed by one "\n" (or "\r\n"). The file must be a
 * regular file without group or other permissions (mode & 077 == 0).
 * Returns 0, or -1 with key wiped and a message in errstr that names the
 * path but never contains key material. */
int sb_crypto_key_load(const char *path, unsigned char key[SB_AEAD_KEY_LEN], char *errstr,
                       size_t errstr_size);

#endif
