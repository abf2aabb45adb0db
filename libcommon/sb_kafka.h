/* sb_kafka: the Kafka consumer and producer every worker uses (librdkafka):
 * environment pass-through, idempotent producer, manual commits, rebalances. */
#ifndef SB_KAFKA_H
#define SB_KAFKA_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#define SB_TOPIC_MAX 256

/* The topic suffixes of the contract; the prefix applies to all. */
#define SB_TOPIC_ALERTS              "alerts"
#define SB_TOPIC_ALERTS_DLQ          "alerts.dlq"
#define SB_TOPIC_PROMPTS             "prompts"
#define SB_TOPIC_RESPONSES           "responses"
#define SB_TOPIC_ESCALATION_REQUESTS "escalation-requests"
#define SB_TOPIC_ESCALATIONS         "escalations"
#define SB_TOPIC_OUTCOMES            "outcomes"

/* NULL-terminated list of every suffix above, for `sbctl topics`. */
extern const char *const sb_kafka_topic_suffixes[];

/* prefix + suffix into buf; -1 when it does not fit. */
int sb_kafka_topic(char *buf, size_t size, const char *prefix, const char *suffix);

/* A configuration with bootstrap.servers, our log callback, and every
 * SECURITYBOT_KAFKA_<NAME> environment variable applied as librdkafka
 * property <name> (lower-cased, '_' -> '.'); a <NAME>_FILE variable reads
 * the value from a file (for sasl.password and friends). Values are never
 * logged. Returns an owned conf or NULL. */
rd_kafka_conf_t *sb_kafka_conf_new(const char *brokers, char *errstr, size_t errstr_size);

/* Checks the Kafka settings from the environment without connecting, so a
 * worker can refuse a bad configuration at start (exit 2). 0 or -1. */
int sb_kafka_conf_check(const char *brokers, char *errstr, size_t errstr_size);

/* ---- producer ---- */
typedef struct sb_producer_s sb_producer_t;

/* Idempotent producer (acks=all, enable.idempotence=true). */
sb_producer_t *sb_producer_new(const char *brokers, char *errstr, size_t errstr_size);

/* Queues a copy of key/value for topic. Blocks (serving delivery reports)
 * while the local queue is full. 0 or -1. */
int sb_producer_send(sb_producer_t *p, const char *topic, const void *key, size_t keylen,
                     const void *value, size_t vallen, char *errstr, size_t errstr_size);

/* Waits until every queued message is acknowledged by the broker, up to
 * timeout_ms. Returns 0 when all messages since the previous flush were
 * delivered, -1 when any failed or the wait timed out (then the caller
 * re-sends: ids are deterministic, so consumers deduplicate). */
int sb_producer_flush(sb_producer_t *p, int timeout_ms, char *errstr, size_t errstr_size);

/* Fetches metadata for the topics the producer will write, so the first
 * batch does not wait for librdkafka's lazy topic lookup. Best effort. */
void sb_producer_warm(sb_producer_t *p, const char *const *topics, size_t n, int timeout_ms);

/* A fatal producer error (idempotence broken): the process must exit. */
int sb_producer_fatal(sb_producer_t *p);

/* Flushes (bounded, 10 s) and frees. NULL is a no-op. */
void sb_producer_destroy(sb_producer_t *p);

/* ---- consumer ---- */
typedef struct sb_consumer_s sb_consumer_t;

/* Subscribes group to topics (n names). enable.auto.commit=false,
 * auto.offset.reset=earliest. */
sb_consumer_t *sb_consumer_new(const char *brokers, const char *group, const char *const *topics,
                               size_t n, char *errstr, size_t errstr_size);

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

/* ---- admin ---- */
/* Creates every topic in names (n), ignoring those that exist. 0 or -1. */
int sb_kafka_create_topics(const char *brokers, const char *const *names, size_t n, int partitions,
                           int replication, int timeout_ms, char *errstr, size_t errstr_size);

#endif
