/* sb_producer: the idempotent Kafka producer every writing worker uses. */
#ifndef SB_PRODUCER_H
#define SB_PRODUCER_H

#include <stddef.h>

typedef struct sb_producer_s sb_producer_t;

/* Idempotent producer (acks=all, enable.idempotence=true). */
sb_producer_t *sb_producer_new(const char *brokers, char *errstr, size_t errstr_size);

/* Queues a copy of key/value for topic. Blocks (serving delivery reports)
 * while the local queue is full. 0 or -1. */
int sb_producer_send(sb_producer_t *p, const char *topic, const void *key, size_t keylen,
                     const void *value, size_t vallen, char *errstr, size_t errstr_size);

/* Waits until every message sent through this handle since its last
 * flush is acknowledged by the broker, up to timeout_ms. Returns 0 when
 * all were delivered, -1 when any failed, the wait timed out or the
 * producer had a fatal error (then the caller rolls back and re-sends:
 * ids are deterministic, so consumers deduplicate). Another handle's
 * messages (sb_producer_share) neither delay nor decide it. */
int sb_producer_flush(sb_producer_t *p, int timeout_ms, char *errstr, size_t errstr_size);

/* Another handle on p's connection, with its own delivery accounting, for
 * a thread that publishes and flushes transactions of its own: a handle
 * is used by one thread at a time. Owned (sb_producer_destroy, in any
 * order with p); NULL and errstr when out of memory. */
sb_producer_t *sb_producer_share(sb_producer_t *p, char *errstr, size_t errstr_size);

/* Fetches metadata for the topics the producer will write, so the first
 * batch does not wait for librdkafka's lazy topic lookup. Best effort. */
void sb_producer_warm(sb_producer_t *p, const char *const *topics, size_t n, int timeout_ms);

/* A fatal producer error (idempotence broken): the process must exit. */
int sb_producer_fatal(sb_producer_t *p);

/* Raises a fabricated fatal error (librdkafka's rd_kafka_test_fatal_error):
 * for tests of what follows one, which no broker can be made to cause. */
void sb_producer_test_fatal(sb_producer_t *p);

/* Frees the handle; the last handle of a connection flushes it (bounded,
 * 10 s) and closes it. NULL is a no-op. */
void sb_producer_destroy(sb_producer_t *p);

#endif
