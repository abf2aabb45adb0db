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

#endif
