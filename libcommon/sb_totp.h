/* sb_totp: TOTP second factor (RFC 6238 on liboath), secrets, base32 and otpauth:// URIs. */
#ifndef SB_TOTP_H
#define SB_TOTP_H

#include <stddef.h>
#include <stdint.h>

#include "sb_aead.h"
#include "sb_crypto.h"

#define SB_TOTP_SECRET_LEN 20 /* bytes: 160 bits, as RFC 4226 recommends */
#define SB_TOTP_DIGITS     6
#define SB_TOTP_PERIOD     30 /* seconds per time step, counted from the Unix epoch */

/* The time step that contains now_s (seconds since the epoch); -1 when now_s < 0. */
int64_t sb_totp_step(int64_t now_s);

/* Writes the 6-digit HMAC-SHA1 code for time step `step` (the RFC 6238 T,
 * i.e. unix_time / 30) and a NUL into out. Returns 0, or -1 for a NULL or
 * empty secret, a negative step, or a liboath failure. */
int sb_totp_code(const unsigned char *secret, size_t len, int64_t step,
                 char out[SB_TOTP_DIGITS + 1]);

/* 1 when code is exactly 6 ASCII digits and nothing else, else 0 (NULL
 * included). Lets a caller tell "that is not a code" from "wrong code". */
int sb_totp_code_wellformed(const char *code);

/* Checks code against the steps around now_s (one step either side, for
 * clock drift and typing time). Each candidate is computed and compared in
 * constant time; a match counts only for a step > last_step, so a code,
 * or any code older than the last accepted one, is never accepted twice
 * (last_step -1: no code accepted yet). The caller stores *matched_step as
 * the new last_step. Returns 0 and *matched_step (written only on
 * success), or -1 for a malformed code, no match, a replay, or a bad
 * argument. Should several steps match, the latest is taken. */
int sb_totp_verify(const unsigned char *secret, size_t len, const char *code, int64_t now_s,
                   int64_t last_step, int64_t *matched_step);

/* Fills out with a fresh random 160-bit secret; 0 or -1. */
int sb_totp_secret_new(unsigned char out[SB_TOTP_SECRET_LEN]);

/* RFC 4648 base32 (upper-case alphabet) WITHOUT '=' padding, as
 * authenticator apps expect in a URI. Returns a malloc'd string owned by
 * the caller, or NULL on allocation failure. The result is a secret when
 * the input is: wipe it before free. */
char *sb_base32_encode(const unsigned char *data, size_t len);

/* The key URI an authenticator app imports (usually as a QR code):
 * otpauth://totp/<issuer>:<account>?secret=<BASE32>&issuer=<issuer>
 *   &algorithm=SHA1&digits=6&period=30
 * issuer and account are percent-encoded (RFC 3986 unreserved characters
 * kept, everything else as %XX). Returns a malloc'd string owned by the
 * caller (it contains the secret: wipe it before free), or NULL when
 * issuer or account is NULL or empty, the secret is empty, or on
 * allocation failure. */
char *sb_totp_uri(const char *issuer, const char *account, const unsigned char *secret, size_t len);

/* The stored form of an employee's secret: AES-256-GCM under the at-rest
 * key, bound to the employee (associated data "sb-totp-v1|<employee_id>"),
 * so a sealed secret copied into another employee's row does not open.
 * SB_TOTP_SEALED_LEN bytes. Both return 0 or -1. */
#define SB_TOTP_SEALED_LEN (SB_TOTP_SECRET_LEN + SB_AEAD_OVERHEAD)
int sb_totp_seal(const unsigned char key[SB_AEAD_KEY_LEN], const char *employee_id,
                 const unsigned char secret[SB_TOTP_SECRET_LEN],
                 unsigned char out[SB_TOTP_SEALED_LEN]);
int sb_totp_open(const unsigned char key[SB_AEAD_KEY_LEN], const char *employee_id,
                 const unsigned char *in, size_t inlen, unsigned char secret[SB_TOTP_SECRET_LEN]);

#endif
