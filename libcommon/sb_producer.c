/* sb_producer: the idempotent Kafka producer: send, flush with delivery check, warm-up. */
#include "sb_producer.h"

#include <stdio.h>
#include <stdlib.h>

#include "sb_kafka.h"
#include "sb_log.h"
#include "sb_signal.h"

struct sb_producer_s {
    rd_kafka_t *rk;
    long failed; /* delivery failures since the last flush */
    rd_kafka_resp_err_t last_err;
    int fatal;
    sb_kafka_broker_error_t broker_error;
};

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    sb_producer_t *p = opaque;
    (void)rk;
    if (m->err) {
        p->failed++;
        p->last_err = m->err;
    }
}

static void producer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    sb_producer_t *p = opaque;
    char buf[512];
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        rd_kafka_fatal_error(rk, buf, sizeof(buf));
        sb_log_error("kafka producer fatal error: %s", buf);
        p->fatal = 1;
    }
    /* anything else is transient and already logged by log_cb; a connection
     * failure is kept to explain a flush that times out */
    sb_kafka_broker_error_note(&p->broker_error, err, reason);
}

sb_producer_t *sb_producer_new(const char *brokers, char *errstr, size_t errstr_size) {
    /* No linger: every worker flushes (which ignores linger.ms) before it
     * commits, except sb-ingest, whose pipeline confirms a batch's messages
     * one round later; a linger would only delay its prompt requests (5 ms
     * a hop of the alert -> prompt latency, issue 17). What is produced
     * while a request is in flight still goes out as one batch.
     * SECURITYBOT_KAFKA_LINGER_MS and _COMPRESSION_TYPE override. */
    static const char *const defaults[] = {"linger.ms", "0", "compression.type", "lz4", NULL};
    sb_producer_t *p = calloc(1, sizeof(*p));
    rd_kafka_conf_t *conf = NULL;
    if (!p) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (!(conf = sb_kafka_conf_new(brokers, defaults, errstr, errstr_size)))
        goto fail;
    /* not to be overridden: a retry must not duplicate or reorder */
    if (rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, errstr_size))
        goto fail;
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_conf_set_error_cb(conf, producer_error_cb);
    rd_kafka_conf_set_opaque(conf, p);
    p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (!p->rk)
        goto fail;
    /* the configuration is now owned by the producer */
    return p;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    free(p);
    return NULL;
}

int sb_producer_send(sb_producer_t *p, const char *topic, const void *key, size_t keylen,
                     const void *value, size_t vallen, char *errstr, size_t errstr_size) {
    for (;;) {
        rd_kafka_resp_err_t err =
            rd_kafka_producev(p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY((void *)key, keylen),
                              RD_KAFKA_V_VALUE((void *)value, vallen),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (!err)
            return 0;
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            snprintf(errstr, errstr_size, "kafka produce to %s: %s", topic, rd_kafka_err2str(err));
            return -1;
        }
        rd_kafka_poll(p->rk, 100); /* serve delivery reports to make room */
    }
}

int sb_producer_flush(sb_producer_t *p, int timeout_ms, char *errstr, size_t errstr_size) {
    rd_kafka_resp_err_t err = rd_kafka_flush(p->rk, timeout_ms);
    char cause[sizeof(p->broker_error.text) + 32];
    rd_kafka_poll(p->rk, 0);
    if (err) {
        snprintf(errstr, errstr_size, "kafka flush: %s (%d still queued)%s", rd_kafka_err2str(err),
                 rd_kafka_outq_len(p->rk),
                 sb_kafka_broker_error_suffix(&p->broker_error, cause, sizeof(cause)));
        p->failed = 0;
        return -1;
    }
    if (p->failed) {
        snprintf(errstr, errstr_size, "kafka: %ld message(s) not delivered: %s", p->failed,
                 rd_kafka_err2str(p->last_err));
        p->failed = 0;
        return -1;
    }
    return 0;
}

void sb_producer_warm(sb_producer_t *p, const char *const *topics, size_t n, int timeout_ms) {
    for (size_t i = 0; i < n && sb_running; i++) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(p->rk, topics[i], NULL);
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err;
        if (!rkt)
            continue;
        err = rd_kafka_metadata(p->rk, 0, rkt, &md, timeout_ms);
        if (err)
            sb_log_warn("kafka: no metadata for %s yet: %s", topics[i], rd_kafka_err2str(err));
        else
            rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
    }
}

int sb_producer_fatal(sb_producer_t *p) {
    return p->fatal;
}

void sb_producer_destroy(sb_producer_t *p) {
    if (!p)
        return;
    if (rd_kafka_flush(p->rk, 10000))
        sb_log_warn("kafka: %d message(s) still queued at shutdown", rd_kafka_outq_len(p->rk));
    rd_kafka_destroy(p->rk);
    free(p);
}
