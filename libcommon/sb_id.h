/* sb_id: deterministic ids: the alert id and the ids of messages derived from an alert. */
#ifndef SB_ID_H
#define SB_ID_H

#include <stddef.h>

#include "sb_crypto.h"

/* Computes the alert id (schemas/README.md, "Alert id").
 * `id` may be NULL: then rule, user, occurred_at_utc and title are used;
 * occurred_at_utc must already be normalised by sb_time_normalize().
 * out receives 64 hex chars + NUL. Returns 0 or -1. */
int sb_id_alert(const char *source, const char *id, const char *rule, const char *user,
                const char *occurred_at_utc, const char *title, char out[SB_SHA256_HEX_LEN + 1]);

/* message_id for a message of `kind` ("prompt", "outcome",
 * "escalation-request", ...) about alert_id; `extra` (may be NULL) is
 * appended, e.g. the escalation reason. */
int sb_id_message(const char *kind, const char *alert_id, const char *extra,
                  char out[SB_SHA256_HEX_LEN + 1]);

#endif
