/* sb_slack_sig: Slack request signatures (v0, HMAC-SHA256) and the replay window. */
#ifndef SB_SLACK_SIG_H
#define SB_SLACK_SIG_H

#include <stddef.h>
#include <stdint.h>

/* "v0=" + 64 lowercase hex digits. */
#define SB_SLACK_SIG_LEN 67
/* A timestamp further than this from now, either way, is refused. */
#define SB_SLACK_MAX_SKEW_S 300

/* Writes "v0=" + hex HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)
 * into out (NUL-terminated). Returns 0, or -1 on a NULL argument or a
 * libcrypto/allocation failure. */
int sb_slack_sign(const char *secret, const char *timestamp, const char *body, size_t len,
                  char out[SB_SLACK_SIG_LEN + 1]);

/* Checks the X-Slack-Request-Timestamp and X-Slack-Signature header values
 * (NULL when absent) of a request whose raw body is body/body_len, at time
 * now_s. Returns 0 when authentic, else -1 with a short stable code in
 * reason: missing_timestamp, bad_timestamp, stale_timestamp,
 * missing_signature, bad_signature_format, signature_mismatch, or
 * internal_error. The reason never contains the secret or the expected
 * signature; the comparison takes constant time. */
int sb_slack_verify(const char *signing_secret, const char *timestamp_header,
                    const char *signature_header, const char *body, size_t body_len, int64_t now_s,
                    char *reason, size_t reason_size);

#endif
