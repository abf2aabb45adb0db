/* sb_message: the messages that several stages send. */

/* Builds the messages that several stages send (the contract in
 * schemas/README.md), so every sender writes them the same way. */
#ifndef SB_MESSAGE_H
#define SB_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* An escalation request's priority for an alert severity: low -> low,
 * medium -> normal, high and critical -> high. */
const char *sb_message_priority(const char *severity);

/* An escalation request's priority for its reason and the alert's
 * severity: low for unverified_confirmation and wrong_employee, else
 * sb_message_priority(severity). */
const char *sb_message_request_priority(const char *reason, const char *severity);

/* Starts a derived message: schema "<kind>.v1", the deterministic
 * message_id (sb_id_message(kind, alert_id, extra)) and alert_id. 0 or -1. */
int sb_message_start(cJSON *o, const char *kind, const char *alert_id, const char *extra);

/* escalation-request.v1 for alert_id (priority from the severity, but
 * always low for unverified_confirmation); employee_id and comment may be NULL.
 * Returns an owned string or NULL (out of memory). */
char *sb_message_escalation_request(const char *alert_id, const char *employee_id,
                                    const char *reason, const char *severity, const char *comment,
                                    const char *requested_by, const char *now);

/* The same for an alert asked within a group (group_id: its leader's id;
 * NULL: none, as sb_message_escalation_request). */
char *sb_message_escalation_request_group(const char *alert_id, const char *employee_id,
                                          const char *reason, const char *severity,
                                          const char *comment, const char *requested_by,
                                          const char *now, const char *group_id);

/* What an outcome.v1 says; prompted_at and answered_at are optional
 * (NULL: left out), employee_id and comment may be NULL (JSON null). */
typedef struct {
    const char *alert_id;
    const char *outcome;
    const char *employee_id;
    const char *answer; /* confirm, deny, none */
    const char *comment;
    const char *second_factor;
    const char *rule;
    const char *severity;
    const char *decided_at;
    const char *prompted_at;
    const char *answered_at;
    const char *second_factor_method; /* NULL: sb_message_factor_method's reading */
    const char *group_id;             /* the group's leader, or NULL (left out) */
} sb_message_outcome_t;

/* The second_factor_method a message carries: method when set, else what
 * an alert recorded before the column existed means (TOTP was the only
 * factor): "totp" for a second factor passed or failed, "none" otherwise. */
const char *sb_message_factor_method(const char *second_factor, const char *method);

/* outcome.v1; message_id depends on the alert only (one outcome per
 * alert). Returns an owned string or NULL (out of memory). */
char *sb_message_outcome(const sb_message_outcome_t *o);

/* An alert-dlq.v1 dead letter for the rejected input original (len bytes),
 * read from topic/partition/offset (sb-gateway, which reads no topic, names
 * its HTTP path: see gateway/intake.h). The original is text when it is
 * valid UTF-8 without NUL bytes, else base64; of an input over 64 KiB only
 * the first 64 KiB, with original_truncated and original_bytes. Returns
 * the owned object (a sender may add fields before printing it) or NULL
 * (out of memory). */
cJSON *sb_message_dead_letter(const char *topic, int32_t partition, int64_t offset,
                              const void *original, size_t len, const char *reason,
                              const char *detail, const char *now);

#endif
