/* sb_kafka: topic names and the librdkafka configuration every client starts from. */

/* Topic names and the librdkafka configuration (environment
 * pass-through) every Kafka client starts from. Includes sb_producer.h and
 * sb_consumer.h, so that a worker includes one header for Kafka. */
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
#define SB_TOPIC_RESOLUTIONS         "resolutions"

/* NULL-terminated list of every suffix above, for `sbctl topics`. */
extern const char *const sb_kafka_topic_suffixes[];

/* prefix + suffix into buf; -1 when it does not fit. */
int sb_kafka_topic(char *buf, size_t size, const char *prefix, const char *suffix);

/* A configuration with bootstrap.servers, our log callback, the caller's
 * defaults (NULL, or NULL-terminated property/value pairs), and then every
 * SECURITYBOT_KAFKA_<NAME> environment variable applied as librdkafka
 * property <name> (lower-cased, '_' -> '.'), so an operator's setting wins
 * over a default; a <NAME>_FILE variable reads the value from a file (for
 * sasl.password and friends). Values are never logged. Returns an owned
 * conf or NULL. */
rd_kafka_conf_t *sb_kafka_conf_new(const char *brokers, const char *const *defaults, char *errstr,
                                   size_t errstr_size);

/* Checks the Kafka settings from the environment without connecting, so a
 * worker can refuse a bad configuration at start (exit 2). 0 or -1. */
int sb_kafka_conf_check(const char *brokers, char *errstr, size_t errstr_size);

/* The latest connection failure librdkafka reported through error_cb (TLS,
 * SASL, transport), so that an operation that times out can name its cause:
 * a wrong CA or password otherwise ends as a bare "Local: Timed out". The
 * reasons name the broker and the failure, never a credential. */
typedef struct {
    char text[384];
    int tls_or_auth; /* text is a TLS or SASL failure: not overwritten by a transport one */
} sb_kafka_broker_error_t;

/* Notes err (from an error_cb) in be when it is a connection failure. */
void sb_kafka_broker_error_note(sb_kafka_broker_error_t *be, int err, const char *reason);

/* "; last broker error: ..." or "", to append to an error message. */
const char *sb_kafka_broker_error_suffix(const sb_kafka_broker_error_t *be, char *buf, size_t size);

#include "sb_consumer.h"
#include "sb_producer.h"

#endif
