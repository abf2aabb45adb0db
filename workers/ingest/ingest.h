/* ingest: sb-ingest's decisions: validate a batch of alerts, record it in one
 * PostgreSQL statement, dead-letter what is invalid, and dispatch one
 * downstream message per new alert. */
#ifndef SB_INGEST_H
#define SB_INGEST_H

#include <stddef.h>

#include "sb_db.h"
#include "sb_kafka.h"

#define SB_INGEST_MAX_DB 8

typedef struct {
    /* borrowed; a batch is split by partition over these connections */
    sb_db_t *db[SB_INGEST_MAX_DB];
    size_t ndb;
    sb_producer_t *producer; /* borrowed */
    const char *worker;      /* actor name in audit_log */
    char topic_alerts[SB_TOPIC_MAX];
    char topic_dlq[SB_TOPIC_MAX];
    char topic_prompts[SB_TOPIC_MAX];
    char topic_escalation_requests[SB_TOPIC_MAX];
    char topic_outcomes[SB_TOPIC_MAX];
} sb_ingest_t;

/* Fills the topic names from the prefix. 0 or -1. */
int sb_ingest_init(sb_ingest_t *ing, const char *prefix, char *errstr, size_t errstr_size);

/* Processes one batch. Returns 0 once its effects are durable: rows
 * committed, downstream and dead-letter messages acknowledged by Kafka;
 * only then may the caller commit the offsets. Returns -1 on a transient
 * failure (database or broker away): the caller retries the same batch,
 * which is safe because every effect is idempotent. Bad input never makes
 * it fail: it is dead-lettered. */
int sb_ingest_batch(sb_ingest_t *ing, rd_kafka_message_t *const *msgs, size_t n, char *errstr,
                    size_t errstr_size);

#endif
