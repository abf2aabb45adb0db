/* sb_aead: AES-256-GCM sealed boxes (secrets at rest) and the key files they use. */
#ifndef SB_AEAD_H
#define SB_AEAD_H

#include <stddef.h>

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
