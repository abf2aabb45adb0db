/* sb_consumer: the Kafka group consumer (manual commits, rebalances, lag). */
#ifndef SB_CONSUMER_H
#define SB_CONSUMER_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

typedef struct sb_consumer_s sb_consumer_t;

/* Subscribes group to topics (n names). enable.auto.commit=false,
 * auto.offset.reset=earliest, a 10 s session (a replica that is really gone
 * is noticed within it). instance_id (NULL or "": dynamic membership) makes
 * the member static: a restart under the same id takes its partitions back
 * without a rebalance, and a clean close does not leave the group (the
 * partitions wait up to the session for the replica to come back). */
sb_consumer_t *sb_consumer_new(const char *brokers, const char *group, const char *instance_id,
                               const char *const *topics, size_t n, char *errstr,
                               size_t errstr_size);

/* Nonzero when the consumer stopped (sb_consumer_fatal) because this
 * static member was fenced: sb_consumer_rejoin may bring it back. */
int sb_consumer_fenced(const sb_consumer_t *c);

/* After a fencing, once the caller holds no message of the consumer: a new
 * client with the same settings replaces the fenced one (the generation
 * changes, as after a rebalance). A member fenced FENCE_LIMIT (3) times
 * within 5 minutes shares its name with another replica: -1 with errstr
 * naming SECURITYBOT_INSTANCE_ID, and the consumer stays stopped. */
int sb_consumer_rejoin(sb_consumer_t *c, char *errstr, size_t errstr_size);

/* 0 when id is usable as a group.instance.id (1-249 of [A-Za-z0-9._-], as
 * Kafka's own names), else -1 with errstr. */
int sb_consumer_check_instance_id(const char *id, char *errstr, size_t errstr_size);

/* One message (owned by the caller: rd_kafka_message_destroy) or NULL on
 * timeout. Errors are logged here and returned as NULL; see
 * sb_consumer_fatal(). */
rd_kafka_message_t *sb_consumer_poll(sb_consumer_t *c, int timeout_ms);

/* Up to max messages at once (each owned by the caller), waiting at most
 * timeout_ms for the first. Errors are handled as in sb_consumer_poll and
 * not returned. Returns how many were stored in msgs. */
size_t sb_consumer_poll_batch(sb_consumer_t *c, rd_kafka_message_t **msgs, size_t max,
                              int timeout_ms);

/* Incremented each time partitions are revoked (for logs and tests). Do
 * not drop messages already polled when it changes: a revoke and the next
 * assignment can come in one poll, and dropped messages of the new
 * assignment would never be delivered again. */
unsigned sb_consumer_generation(const sb_consumer_t *c);

int sb_consumer_fatal(const sb_consumer_t *c);

/* Messages between the group's committed offset and the end of each
 * assigned partition, summed (asks the broker, up to 1 s per call; for
 * metrics scrapes; thread-safe). -1 when nothing is assigned or the broker
 * does not answer. */
int64_t sb_consumer_lag(sb_consumer_t *c);

/* Commits, for each partition in msgs, the highest offset+1; async does
 * not wait for the broker (a lost async commit only means redelivery, and
 * a later commit covers it). 0, or -1 (then the messages are redelivered:
 * effects are idempotent). */
int sb_consumer_commit(sb_consumer_t *c, rd_kafka_message_t *const *msgs, size_t n, int async,
                       char *errstr, size_t errstr_size);

/* Leaves the group and frees. NULL is a no-op. */
void sb_consumer_destroy(sb_consumer_t *c);

#endif
