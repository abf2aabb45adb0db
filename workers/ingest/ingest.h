/* ingest: sb-ingest's decisions. */

/* Sb-ingest's decisions: validate a batch of alerts, record it in one
 * PostgreSQL statement (or, for a plain batch, one COPY: copy.h),
 * dead-letter what is invalid, and dispatch one downstream message per new
 * alert. */
#ifndef SB_INGEST_H
#define SB_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "sb_db.h"
#include "sb_kafka.h"
#include "sb_metrics.h"

#define SB_INGEST_MAX_DB 8

typedef struct {
    /* borrowed; a batch is split by partition over these connections */
    sb_db_t *db[SB_INGEST_MAX_DB];
    size_t ndb;
    /* borrowed; for ingest_progress, so that one batch's confirmation can
     * run while the next batch's statements occupy the others */
    sb_db_t *progress_db;
    /* borrowed; may be NULL: told of each batch, so that the title search's
     * mover (titles.c) paces itself as under load */
    struct sb_ingest_titles_s *titles;
    sb_producer_t *producer; /* borrowed */
    sb_metrics_t *metrics;   /* borrowed; may be NULL */
    const char *worker;      /* actor name in audit_log */
    char topic_alerts[SB_TOPIC_MAX];
    char topic_dlq[SB_TOPIC_MAX];
    char topic_prompts[SB_TOPIC_MAX];
    char topic_escalation_requests[SB_TOPIC_MAX];
    char topic_outcomes[SB_TOPIC_MAX];
    /* SECURITYBOT_CONFIRM_BACKOFF (0: off) and the highest severity it
     * applies to (borrowed; a name sb_severity_rank knows) */
    int64_t confirm_backoff_ms;
    const char *confirm_backoff_max_severity;
    /* SECURITYBOT_INGEST_COPY: a plain batch is loaded with COPY (copy.c) */
    int copy;
} sb_ingest_t;

/* Fills the topic names from the prefix. 0 or -1. */
int sb_ingest_init(sb_ingest_t *ing, const char *prefix, char *errstr, size_t errstr_size);

/* A batch: the messages (owned by the batch from now on), each validated,
 * and the state of its recording. */
typedef struct sb_ingest_batch_s sb_ingest_batch_t;

sb_ingest_batch_t *sb_ingest_batch_new(rd_kafka_message_t **msgs, size_t n);
/* Microseconds since b was collected. */
int64_t sb_ingest_batch_age_us(const sb_ingest_batch_t *b);

rd_kafka_message_t *const *sb_ingest_batch_messages(const sb_ingest_batch_t *b, size_t *n);
/* Frees the batch and destroys its messages. NULL is a no-op. */
void sb_ingest_batch_destroy(sb_ingest_batch_t *b);

/* The phases of a batch, which the caller may overlap with another batch's
 * (see main.c). Each returns 0, or -1 on a transient failure (database or
 * broker away) after which the caller runs the whole batch again with
 * sb_ingest_run: every effect is idempotent. Bad input never fails them:
 * it is dead-lettered.
 *   send     the recording statement goes out on every connection, split by
 *            partition (one statement per connection, one transaction each)
 *   wait     its results: the alerts whose downstream message may not be in
 *            Kafka yet; an alert PostgreSQL refuses is dead-lettered
 *   produce  queues those messages and the dead letters
 *   confirm  waits for Kafka to acknowledge everything produced so far,
 *            then moves ingest_progress past the batch; only after this may
 *            the offsets be committed */
int sb_ingest_send(sb_ingest_t *ing, sb_ingest_batch_t *b, char *errstr, size_t errstr_size);
int sb_ingest_wait(sb_ingest_t *ing, sb_ingest_batch_t *b, char *errstr, size_t errstr_size);
int sb_ingest_produce(sb_ingest_t *ing, sb_ingest_batch_t *b, char *errstr, size_t errstr_size);
int sb_ingest_confirm(sb_ingest_t *ing, sb_ingest_batch_t *b, char *errstr, size_t errstr_size);

/* Optional, before send, while the lanes' connections are busy with
 * another batch: resolves b's employees for the fast path (copy.c) on the
 * progress connection, so that send only has to load the rows. Without
 * it, send does this on each lane's connection. */
void sb_ingest_prepare(sb_ingest_t *ing, sb_ingest_batch_t *b);

/* All four phases in order, for one batch alone. */
int sb_ingest_run(sb_ingest_t *ing, sb_ingest_batch_t *b, char *errstr, size_t errstr_size);

#endif
