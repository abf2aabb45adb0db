/* sb_producer: the idempotent Kafka producer: send, flush with delivery check, warm-up. */
#include "sb_producer.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "sb_kafka.h"
#include "sb_log.h"
#include "sb_signal.h"
#include "sb_time.h"

/* How long a flush sleeps between two looks at its handle's messages. */
#define POLL_SLICE_MS 1

/* The messages one handle sent since its last flush: shared between the
 * handle and each of those messages (refs), as librdkafka reports a
 * delivery on whichever thread polls, maybe after the handle gave up on
 * them (a flush that timed out) and went on with a fresh one. */
typedef struct {
    atomic_long pending, failed;
    atomic_int last_err;
    atomic_int refs;
} ticket_t;

/* The connection, shared by a handle and its shares (refs). */
typedef struct {
    rd_kafka_t *rk;
    atomic_int fatal;
    atomic_int refs;
    pthread_mutex_t mu; /* broker_error: error_cb runs on any polling thread */
    sb_kafka_broker_error_t broker_error;
} core_t;

struct sb_producer_s {
    core_t *core;
    ticket_t *ticket; /* this handle's own; a share has another */
};

static ticket_t *ticket_new(void) {
    ticket_t *t = calloc(1, sizeof(*t));
    if (t)
        atomic_init(&t->refs, 1);
    return t;
}

static void ticket_unref(ticket_t *t) {
    if (t && atomic_fetch_sub(&t->refs, 1) == 1)
        free(t);
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    ticket_t *t = m->_private; /* the message's, given to producev */
    (void)rk;
    (void)opaque;
    if (!t)
        return;
    if (m->err) {
        atomic_store(&t->last_err, (int)m->err);
        atomic_fetch_add(&t->failed, 1);
    }
    atomic_fetch_sub(&t->pending, 1);
    ticket_unref(t);
}

static void producer_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    core_t *c = opaque;
    char buf[512];
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        rd_kafka_fatal_error(rk, buf, sizeof(buf));
        sb_log_error("kafka producer fatal error: %s", buf);
        atomic_store(&c->fatal, 1);
    }
    /* anything else is transient and already logged by log_cb; a connection
     * failure is kept to explain a flush that times out */
    pthread_mutex_lock(&c->mu);
    sb_kafka_broker_error_note(&c->broker_error, err, reason);
    pthread_mutex_unlock(&c->mu);
}

static void core_unref(core_t *c) {
    if (!c || atomic_fetch_sub(&c->refs, 1) != 1)
        return;
    if (rd_kafka_flush(c->rk, 10000)) {
        sb_log_warn("kafka: %d message(s) still queued at shutdown", rd_kafka_outq_len(c->rk));
        /* failed now, so that their reports are served and their tickets
         * freed: rd_kafka_destroy drops them without a report */
        rd_kafka_purge(c->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
        rd_kafka_flush(c->rk, 1000);
    }
    rd_kafka_destroy(c->rk);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

/* A handle on c (which it takes a reference of), with a ticket of its own. */
static sb_producer_t *handle_new(core_t *c, char *errstr, size_t errstr_size) {
    sb_producer_t *p = calloc(1, sizeof(*p));
    if (!p || !(p->ticket = ticket_new())) {
        free(p);
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    atomic_fetch_add(&c->refs, 1);
    p->core = c;
    return p;
}

sb_producer_t *sb_producer_new(const char *brokers, char *errstr, size_t errstr_size) {
    /* No linger: every worker flushes (which ignores linger.ms) before it
     * commits, except sb-ingest, whose pipeline confirms a batch's messages
     * one round later; a linger would only delay its prompt requests (5 ms
     * a hop of the alert -> prompt latency, issue 17). What is produced
     * while a request is in flight still goes out as one batch.
     * SECURITYBOT_KAFKA_LINGER_MS and _COMPRESSION_TYPE override. */
    static const char *const defaults[] = {"linger.ms", "0", "compression.type", "lz4", NULL};
    core_t *c = calloc(1, sizeof(*c));
    rd_kafka_conf_t *conf = NULL;
    sb_producer_t *p;
    if (!c) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&c->mu, NULL);
    if (!(conf = sb_kafka_conf_new(brokers, defaults, errstr, errstr_size)))
        goto fail;
    /* not to be overridden: a retry must not duplicate or reorder */
    if (rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, errstr_size))
        goto fail;
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_conf_set_error_cb(conf, producer_error_cb);
    rd_kafka_conf_set_opaque(conf, c);
    if (!(c->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size)))
        goto fail;
    conf = NULL; /* now owned by the producer */
    if (!(p = handle_new(c, errstr, errstr_size))) {
        rd_kafka_destroy(c->rk);
        goto fail;
    }
    return p;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    pthread_mutex_destroy(&c->mu);
    free(c);
    return NULL;
}

sb_producer_t *sb_producer_share(sb_producer_t *p, char *errstr, size_t errstr_size) {
    return handle_new(p->core, errstr, errstr_size);
}

int sb_producer_send(sb_producer_t *p, const char *topic, const void *key, size_t keylen,
                     const void *value, size_t vallen, char *errstr, size_t errstr_size) {
    ticket_t *t = p->ticket;
    for (;;) {
        /* counted before the call: its report may come on another thread
         * before producev returns */
        atomic_fetch_add(&t->refs, 1);
        atomic_fetch_add(&t->pending, 1);
        rd_kafka_resp_err_t err = rd_kafka_producev(
            p->core->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY((void *)key, keylen),
            RD_KAFKA_V_VALUE((void *)value, vallen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE(t), RD_KAFKA_V_END);
        if (!err)
            return 0;
        atomic_fetch_sub(&t->pending, 1);
        atomic_fetch_sub(&t->refs, 1); /* p still holds one */
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            snprintf(errstr, errstr_size, "kafka produce to %s: %s", topic, rd_kafka_err2str(err));
            return -1;
        }
        rd_kafka_poll(p->core->rk, 100); /* serve delivery reports to make room */
    }
}

/* The handle's messages still waiting are left to their ticket; the
 * handle goes on with a new one, so their late reports count for nobody. */
static int abandon(sb_producer_t *p, char *errstr, size_t errstr_size) {
    ticket_t *t = ticket_new();
    if (!t) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    ticket_unref(p->ticket);
    p->ticket = t;
    return -1;
}

int sb_producer_flush(sb_producer_t *p, int timeout_ms, char *errstr, size_t errstr_size) {
    core_t *c = p->core;
    ticket_t *t = p->ticket;
    int64_t deadline = sb_time_monotonic_us() + (int64_t)timeout_ms * 1000;
    char cause[sizeof(c->broker_error.text) + 32];
    /* sends what lingers now (the configured linger.ms is not waited for) */
    rd_kafka_flush(c->rk, 0);
    /* Only this handle's messages are waited for: a share's (another
     * thread's transaction) neither delays nor decides this one. A report
     * may be served by another thread's poll, hence the short slices. */
    while (atomic_load(&t->pending) > 0 && !atomic_load(&c->fatal)) {
        int64_t left_ms = (deadline - sb_time_monotonic_us()) / 1000;
        if (left_ms <= 0)
            break;
        rd_kafka_poll(c->rk, left_ms < POLL_SLICE_MS ? (int)left_ms : POLL_SLICE_MS);
    }
    if (atomic_load(&c->fatal)) {
        /* a delivery report after a fatal error proves nothing: the
         * caller must not commit, and the process exits */
        snprintf(errstr, errstr_size, "kafka producer fatal error: delivery unknown");
        return abandon(p, errstr, errstr_size);
    }
    if (atomic_load(&t->pending) > 0) {
        pthread_mutex_lock(&c->mu);
        sb_kafka_broker_error_suffix(&c->broker_error, cause, sizeof(cause));
        pthread_mutex_unlock(&c->mu);
        snprintf(errstr, errstr_size, "kafka flush: %s (%ld still queued)%s",
                 rd_kafka_err2str(RD_KAFKA_RESP_ERR__TIMED_OUT), atomic_load(&t->pending), cause);
        return abandon(p, errstr, errstr_size);
    }
    if (atomic_load(&t->failed)) {
        snprintf(errstr, errstr_size, "kafka: %ld message(s) not delivered: %s",
                 atomic_load(&t->failed), rd_kafka_err2str(atomic_load(&t->last_err)));
        atomic_store(&t->failed, 0); /* none pending: nobody else writes it */
        return -1;
    }
    return 0;
}

void sb_producer_warm(sb_producer_t *p, const char *const *topics, size_t n, int timeout_ms) {
    for (size_t i = 0; i < n && sb_running; i++) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(p->core->rk, topics[i], NULL);
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err;
        if (!rkt)
            continue;
        err = rd_kafka_metadata(p->core->rk, 0, rkt, &md, timeout_ms);
        if (err)
            sb_log_warn("kafka: no metadata for %s yet: %s", topics[i], rd_kafka_err2str(err));
        else
            rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
    }
}

int sb_producer_fatal(sb_producer_t *p) {
    return atomic_load(&p->core->fatal);
}

void sb_producer_test_fatal(sb_producer_t *p) {
    rd_kafka_test_fatal_error(p->core->rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                              "a test's fatal error");
}

void sb_producer_destroy(sb_producer_t *p) {
    if (!p)
        return;
    ticket_unref(p->ticket);
    core_unref(p->core);
    free(p);
}
