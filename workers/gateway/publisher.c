/* publisher: produce messages and wait for their own acknowledgements, from many threads. */
#include "publisher.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#include "sb_kafka.h"
#include "sb_log.h"

/* How long the delivery-report thread blocks in one poll. */
#define POLL_MS 100

/* The outcome of one message. Shared by the request thread that waits and
 * the delivery report; the last of the two to let go frees it, so a request
 * that gave up waiting never leaves the report a dangling pointer. */
typedef struct {
    int done;
    rd_kafka_resp_err_t err;
    int refs;
    pthread_cond_t cond;
} delivery_t;

struct sb_publisher_s {
    rd_kafka_t *rk;
    pthread_mutex_t lock; /* guards every delivery_t */
    pthread_t poller;
    int polling;
    atomic_int stop;
    atomic_int fatal;
};

/* Called with p->lock held. */
static void release(delivery_t *d) {
    if (--d->refs == 0) {
        pthread_cond_destroy(&d->cond);
        free(d);
    }
}

static void dr_msg_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
    sb_publisher_t *p = opaque;
    delivery_t *d = m->_private;
    (void)rk;
    pthread_mutex_lock(&p->lock);
    d->done = 1;
    d->err = m->err;
    pthread_cond_signal(&d->cond);
    release(d);
    pthread_mutex_unlock(&p->lock);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    sb_publisher_t *p = opaque;
    char buf[512];
    (void)reason; /* transient errors are already logged by the log callback */
    if (err != RD_KAFKA_RESP_ERR__FATAL)
        return;
    rd_kafka_fatal_error(rk, buf, sizeof(buf));
    sb_log_error("kafka producer fatal error: %s", buf);
    atomic_store(&p->fatal, 1);
}

/* Serves delivery reports until told to stop. */
static void *poll_loop(void *arg) {
    sb_publisher_t *p = arg;
    while (!atomic_load(&p->stop))
        rd_kafka_poll(p->rk, POLL_MS);
    return NULL;
}

static int init_sync(sb_publisher_t *p) {
    return pthread_mutex_init(&p->lock, NULL) == 0 ? 0 : -1;
}

/* A delivery whose waiter alone is woken by its report (one condition
 * variable each: a shared one woke every waiting request on every report).
 * Deadlines on the monotonic clock: a wall-clock step must not stretch them. */
static delivery_t *delivery_new(void) {
    delivery_t *d = calloc(1, sizeof(*d));
    pthread_condattr_t attr;
    int ok;
    if (!d || pthread_condattr_init(&attr) != 0) {
        free(d);
        return NULL;
    }
    ok = pthread_condattr_setclock(&attr, CLOCK_MONOTONIC) == 0 &&
         pthread_cond_init(&d->cond, &attr) == 0;
    pthread_condattr_destroy(&attr);
    if (!ok) {
        free(d);
        return NULL;
    }
    d->refs = 2; /* the waiting request and the delivery report */
    return d;
}

/* The settings of sb_producer_new but no linger, plus our callbacks. */
static rd_kafka_conf_t *producer_conf(sb_publisher_t *p, const char *brokers, char *errstr,
                                      size_t errstr_size) {
    /* each request waits for its own acknowledgement: no lingering, unless
     * SECURITYBOT_KAFKA_LINGER_MS says otherwise (the environment wins) */
    static const char *const defaults[] = {"linger.ms", "0", "compression.type", "lz4", NULL};
    rd_kafka_conf_t *conf = sb_kafka_conf_new(brokers, defaults, errstr, errstr_size);
    if (!conf)
        return NULL;
    if (rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, errstr_size)) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, dr_msg_cb);
    rd_kafka_conf_set_error_cb(conf, error_cb);
    rd_kafka_conf_set_opaque(conf, p);
    return conf;
}

sb_publisher_t *sb_publisher_new(const char *brokers, char *errstr, size_t errstr_size) {
    sb_publisher_t *p = calloc(1, sizeof(*p));
    rd_kafka_conf_t *conf = NULL;

    if (!p || init_sync(p) != 0) {
        snprintf(errstr, errstr_size, "out of memory");
        free(p);
        return NULL;
    }
    if (!(conf = producer_conf(p, brokers, errstr, errstr_size)))
        goto fail;
    if (!(p->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size)))
        goto fail;
    conf = NULL; /* the configuration is now owned by the producer */
    if (pthread_create(&p->poller, NULL, poll_loop, p) != 0) {
        snprintf(errstr, errstr_size, "cannot start the delivery report thread");
        goto fail;
    }
    p->polling = 1;
    return p;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    sb_publisher_destroy(p, 0);
    return NULL;
}

static void deadline_after(struct timespec *ts, int ms) {
    clock_gettime(CLOCK_MONOTONIC, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Queues one message with its delivery record d (whose report then owns a
 * reference). -1 when not queued: no report will come. */
static int produce(sb_publisher_t *p, const char *topic, const sb_publisher_msg_t *m, delivery_t *d,
                   char *errstr, size_t errstr_size) {
    rd_kafka_resp_err_t err = rd_kafka_producev(
        p->rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY((void *)m->key, m->keylen),
        RD_KAFKA_V_VALUE((void *)m->value, m->vallen), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(d), RD_KAFKA_V_END);
    if (!err)
        return 0;
    /* queue full, fatal error, unknown topic...: no report will come */
    snprintf(errstr, errstr_size, "kafka produce to %s: %s", topic, rd_kafka_err2str(err));
    return -1;
}

int sb_publisher_send_batch(sb_publisher_t *p, const char *topic, const sb_publisher_msg_t *msgs,
                            size_t n, int timeout_ms, char *errstr, size_t errstr_size) {
    delivery_t **d = calloc(n ? n : 1, sizeof(*d));
    struct timespec deadline;
    size_t queued = 0;
    int rc = -1;

    if (!d) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    for (; queued < n; queued++) {
        if (!(d[queued] = delivery_new())) {
            snprintf(errstr, errstr_size, "out of memory");
            break;
        }
        if (produce(p, topic, &msgs[queued], d[queued], errstr, errstr_size) != 0) {
            pthread_cond_destroy(&d[queued]->cond);
            free(d[queued]);
            break;
        }
    }
    rc = queued == n ? 0 : -1;
    deadline_after(&deadline, timeout_ms);
    pthread_mutex_lock(&p->lock);
    /* wait for every queued message, even after a failure: its record must
     * be released by us or its report, never leaked */
    for (size_t i = 0; i < queued; i++) {
        while (rc == 0 && !d[i]->done &&
               pthread_cond_timedwait(&d[i]->cond, &p->lock, &deadline) != ETIMEDOUT)
            ;
        if (rc == 0 && !d[i]->done) {
            snprintf(errstr, errstr_size, "kafka did not acknowledge within %d ms", timeout_ms);
            rc = -1;
        } else if (rc == 0 && d[i]->err) {
            snprintf(errstr, errstr_size, "kafka did not take a message: %s",
                     rd_kafka_err2str(d[i]->err));
            rc = -1;
        }
        release(d[i]);
    }
    pthread_mutex_unlock(&p->lock);
    free(d);
    return rc;
}

int sb_publisher_send(sb_publisher_t *p, const char *topic, const char *key, size_t keylen,
                      const char *value, size_t vallen, int timeout_ms, char *errstr,
                      size_t errstr_size) {
    const sb_publisher_msg_t m = {key, keylen, value, vallen};
    return sb_publisher_send_batch(p, topic, &m, 1, timeout_ms, errstr, errstr_size);
}

int sb_publisher_ready(sb_publisher_t *p, const char *topic, int timeout_ms, char *errstr,
                       size_t errstr_size) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_topic_t *rkt = NULL;
    rd_kafka_resp_err_t err;
    int rc = -1;

    if (atomic_load(&p->fatal)) {
        snprintf(errstr, errstr_size, "the producer had a fatal error");
        return -1;
    }
    if (!(rkt = rd_kafka_topic_new(p->rk, topic, NULL))) {
        snprintf(errstr, errstr_size, "kafka topic %s: %s", topic,
                 rd_kafka_err2str(rd_kafka_last_error()));
        return -1;
    }
    /* a real request to a broker, on the long-lived handle: cheap, bounded */
    err = rd_kafka_metadata(p->rk, 0, rkt, &md, timeout_ms);
    if (err) {
        snprintf(errstr, errstr_size, "kafka metadata: %s", rd_kafka_err2str(err));
        goto out;
    }
    if (md->topic_cnt != 1 || md->topics[0].err) {
        snprintf(errstr, errstr_size, "kafka topic %s: %s", topic,
                 rd_kafka_err2str(md->topic_cnt == 1 ? md->topics[0].err
                                                     : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
        goto out;
    }
    rc = 0;
out:
    if (md)
        rd_kafka_metadata_destroy(md);
    rd_kafka_topic_destroy(rkt);
    return rc;
}

int sb_publisher_fatal(sb_publisher_t *p) {
    return atomic_load(&p->fatal);
}

/* Flushes up to flush_ms, then purges what is left and serves the purge
 * reports so that every delivery record is released. */
static void drain(sb_publisher_t *p, int flush_ms) {
    if (rd_kafka_flush(p->rk, flush_ms) == RD_KAFKA_RESP_ERR_NO_ERROR)
        return;
    sb_log_warn("kafka: %d message(s) not acknowledged at shutdown, dropped (their requests "
                "were answered 503, so Slack retries them)",
                rd_kafka_outq_len(p->rk));
    rd_kafka_purge(p->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_flush(p->rk, 1000);
}

void sb_publisher_destroy(sb_publisher_t *p, int flush_ms) {
    if (!p)
        return;
    if (p->polling) {
        atomic_store(&p->stop, 1);
        pthread_join(p->poller, NULL);
    }
    if (p->rk)
        drain(p, flush_ms);
    if (p->rk)
        rd_kafka_destroy(p->rk);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
