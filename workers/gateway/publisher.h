/* publisher: the gateway's Kafka producer, with a delivery report per request. */
#ifndef SB_GATEWAY_PUBLISHER_H
#define SB_GATEWAY_PUBLISHER_H

#include <stddef.h>

/* sb_producer (libcommon) counts failures process-wide between flushes, so
 * concurrent request threads could not tell whose message failed. This
 * producer has the same settings (idempotent, acks=all, lz4,
 * SECURITYBOT_KAFKA_* pass-through) but no linger (each request waits for
 * its own acknowledgement; SECURITYBOT_KAFKA_LINGER_MS still overrides),
 * and each message carries its own delivery record that the request
 * thread waits on. Thread-safe. */
typedef struct sb_publisher_s sb_publisher_t;

/* A producer, with a thread serving delivery reports. */
sb_publisher_t *sb_publisher_new(const char *brokers, char *errstr, size_t errstr_size);

/* One message of a batch; the bytes are copied when queued. */
typedef struct {
    const char *key;
    size_t keylen;
    const char *value;
    size_t vallen;
} sb_publisher_msg_t;

/* Produces key/value to topic and waits up to timeout_ms for the broker's
 * acknowledgement of this message alone. Returns 0 when acknowledged, -1
 * otherwise (refused, failed, or not yet acknowledged: it may still be
 * delivered later, so a retry can duplicate it; consumers dedup). */
int sb_publisher_send(sb_publisher_t *p, const char *topic, const char *key, size_t keylen,
                      const char *value, size_t vallen, int timeout_ms, char *errstr,
                      size_t errstr_size);

/* Queues the n messages to topic in order, then waits up to timeout_ms
 * (one deadline for all) for the acknowledgement of every one of them.
 * Returns 0 when all were acknowledged, -1 otherwise: some may have been
 * delivered, or still be later, so the caller's retry must be harmless
 * (the same messages again, absorbed downstream). */
int sb_publisher_send_batch(sb_publisher_t *p, const char *topic, const sb_publisher_msg_t *msgs,
                            size_t n, int timeout_ms, char *errstr, size_t errstr_size);

/* 0 when a broker answered a metadata request for topic within
 * timeout_ms and knows it; -1 with the reason otherwise. */
int sb_publisher_ready(sb_publisher_t *p, const char *topic, int timeout_ms, char *errstr,
                       size_t errstr_size);

/* Non-zero after a fatal producer error (idempotence broken): exit. */
int sb_publisher_fatal(sb_publisher_t *p);

/* Waits up to flush_ms for what is still queued (messages whose requests
 * were already answered 503: Slack retries them), drops the rest, frees.
 * NULL is a no-op. */
void sb_publisher_destroy(sb_publisher_t *p, int flush_ms);

#endif
