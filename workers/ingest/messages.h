/* messages: builds the JSON of every message sb-ingest sends. */
#ifndef SB_INGEST_MESSAGES_H
#define SB_INGEST_MESSAGES_H

#include <librdkafka/rdkafka.h>
#include <libpq-fe.h>

typedef enum {
    SB_INGEST_TO_PROMPTS,
    SB_INGEST_TO_ESCALATION_REQUESTS,
    SB_INGEST_TO_OUTCOMES,
} sb_ingest_target_t;

/* The dead letter for message m (read from topic), as the contract
 * defines it: the original as text when it is valid UTF-8 without NUL
 * bytes, else base64; of an input over 64 KiB only the first 64 KiB, with
 * original_truncated and original_bytes. Returns an owned string or NULL
 * (out of memory). */
char *sb_ingest_dead_letter_json(const char *topic, const rd_kafka_message_t *m, const char *reason,
                                 const char *detail, const char *now);

/* The downstream message for one row of the recording statement (id,
 * employee_id, status, status_reason, severity, rule, title, occurred_at):
 * a prompt request, an escalation request or a suppressed outcome. Sets
 * *target and *key (pointing into res). Returns an owned string, or NULL
 * when the row needs no message. */
char *sb_ingest_downstream_json(PGresult *res, int row, const char *now, sb_ingest_target_t *target,
                                const char **key);

#endif
