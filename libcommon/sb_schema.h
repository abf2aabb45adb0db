/* sb_schema: validators for every message type in schemas/. */

/* Validators for every message type in schemas/ (alert, alert-dlq,
 * prompt, response, escalation-request, escalation, outcome). */
#ifndef SB_SCHEMA_H
#define SB_SCHEMA_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define SB_ALERT_MAX_BYTES 65536

/* Stable machine codes for rejected alerts (the dead-letter `reason`). */
typedef enum {
    SB_REJECT_NONE = 0,
    SB_REJECT_INVALID_JSON,
    SB_REJECT_NOT_OBJECT,
    SB_REJECT_MISSING_FIELD,
    SB_REJECT_INVALID_TYPE,
    SB_REJECT_FIELD_TOO_LONG,
    SB_REJECT_INVALID_VALUE,
    SB_REJECT_DUPLICATE_KEY,
    SB_REJECT_INVALID_UTF8,
    SB_REJECT_TOO_LARGE,
} sb_reject_t;

/* "invalid_json", ... ; "none" for SB_REJECT_NONE. */
const char *sb_reject_code(sb_reject_t r);

/* A validated alert. All strings point into `root` (owned); optional
 * fields are NULL when absent; severity is defaulted to "medium". */
typedef struct {
    cJSON *root;
    const char *source, *rule, *title, *user, *occurred_at, *id;
    const char *description, *severity, *url;
    const cJSON *details;     /* object or NULL */
    char occurred_at_utc[32]; /* sb_time_normalize() form */
} sb_alert_t;

/* Parses and validates raw bytes as received from Kafka: size, UTF-8,
 * JSON, duplicate keys, fields. On success returns SB_REJECT_NONE and
 * fills *alert (free with sb_alert_clear). On failure returns the reason
 * and writes a human detail naming the field into detail. */
sb_reject_t sb_alert_parse(const void *buf, size_t len, sb_alert_t *alert, char *detail,
                           size_t detail_size);
void sb_alert_clear(sb_alert_t *alert);

/* Validates an already-parsed message against schema `name` ("alert",
 * "alert-dlq", "prompt", "response", "escalation-request", "escalation",
 * "outcome"). Returns 0 when valid, -1 with a reason in errstr.
 * Used by tests and by workers that check what they consume. */
int sb_schema_validate(const char *name, const cJSON *msg, char *errstr, size_t errstr_size);

/* Parses raw bytes as a message of schema `name` with the same byte-level
 * checks as sb_alert_parse() (size, UTF-8, strict JSON, duplicate keys at
 * any depth, no U+0000), then sb_schema_validate(). On success returns 0
 * and *out is the owned root; else -1 with a reason in errstr. */
int sb_schema_parse(const char *name, const void *buf, size_t len, cJSON **out, char *errstr,
                    size_t errstr_size);

#endif
