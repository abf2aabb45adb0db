/* sb_consumer: the Kafka group consumer: rebalances, polling, manual commits, lag. */
#include "sb_consumer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "sb_kafka.h"
#include "sb_log.h"

/* How long a lag query (for a metrics scrape) may wait for the broker. */
#define LAG_TIMEOUT_MS 1000

struct sb_consumer_s {
    rd_kafka_t *rk;
    unsigned generation;
    int fatal;
};

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
    sb_consumer_t *c = opaque;
    char n[16];
    snprintf(n, sizeof(n), "%d", parts->cnt);
    sb_log_kv_t kv[] = {{"partitions", n}};

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        sb_log_kv(SB_LOG_INFO, kv, 1, "kafka: partitions assigned");
        if (!strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE"))
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        return;
    }
    /* Revoked (or lost): whatever batch is being collected may contain
     * messages of these partitions; the caller drops it uncommitted. */
    c->generation++;
    sb_log_kv(SB_LOG_INFO, kv, 1, "kafka: partitions revoked");
    if (!strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE"))
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
    else
        rd_kafka_assign(rk, NULL);
}

sb_consumer_t *sb_consumer_new(const char *brokers, const char *group, const char *const *topics,
                               size_t n, char *errstr, size_t errstr_size) {
    sb_consumer_t *c = calloc(1, sizeof(*c));
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_topic_partition_list_t *subs = NULL;
    rd_kafka_resp_err_t err;

    if (!c) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (!(conf = sb_kafka_conf_new(brokers, NULL, errstr, errstr_size)))
        goto fail;
    if (rd_kafka_conf_set(conf, "group.id", group, errstr, errstr_size) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, errstr_size) ||
        rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr, errstr_size))
        goto fail;
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, c);
    c->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size);
    if (!c->rk)
        goto fail;
    conf = NULL; /* now owned by the consumer */
    rd_kafka_poll_set_consumer(c->rk);

    subs = rd_kafka_topic_partition_list_new((int)n);
    for (size_t i = 0; i < n; i++)
        rd_kafka_topic_partition_list_add(subs, topics[i], RD_KAFKA_PARTITION_UA);
    err = rd_kafka_subscribe(c->rk, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (err) {
        snprintf(errstr, errstr_size, "kafka subscribe: %s", rd_kafka_err2str(err));
        goto fail;
    }
    return c;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (c->rk)
        rd_kafka_destroy(c->rk);
    free(c);
    return NULL;
}

/* Logs and frees an error event from the consumer; always NULL. */
static rd_kafka_message_t *consumer_error(sb_consumer_t *c, rd_kafka_message_t *m) {
    char buf[512];
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        rd_kafka_message_destroy(m);
        return NULL;
    }
    if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
        rd_kafka_fatal_error(c->rk, buf, sizeof(buf));
        sb_log_error("kafka consumer fatal error: %s", buf);
        c->fatal = 1;
    } else if (m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
               m->err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC) {
        sb_log_warn("kafka consumer: %s (run `sbctl topics`)", rd_kafka_message_errstr(m));
    } else {
        sb_log_info("kafka consumer: %s", rd_kafka_message_errstr(m));
    }
    rd_kafka_message_destroy(m);
    return NULL;
}

rd_kafka_message_t *sb_consumer_poll(sb_consumer_t *c, int timeout_ms) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(c->rk, timeout_ms);
    return (m && m->err) ? consumer_error(c, m) : m;
}

size_t sb_consumer_poll_batch(sb_consumer_t *c, rd_kafka_message_t **msgs, size_t max,
                              int timeout_ms) {
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(c->rk);
    ssize_t got = q ? rd_kafka_consume_batch_queue(q, timeout_ms, msgs, max) : -1;
    size_t n = 0;
    if (q)
        rd_kafka_queue_destroy(q);
    for (ssize_t i = 0; i < got; i++) {
        if (msgs[i]->err)
            consumer_error(c, msgs[i]);
        else
            msgs[n++] = msgs[i];
    }
    return n;
}

unsigned sb_consumer_generation(const sb_consumer_t *c) {
    return c->generation;
}

int sb_consumer_fatal(const sb_consumer_t *c) {
    return c->fatal;
}

int sb_consumer_commit(sb_consumer_t *c, rd_kafka_message_t *const *msgs, size_t n, int async,
                       char *errstr, size_t errstr_size) {
    rd_kafka_topic_partition_list_t *offs;
    rd_kafka_resp_err_t err;
    if (n == 0)
        return 0;
    offs = rd_kafka_topic_partition_list_new(8);
    for (size_t i = 0; i < n; i++) {
        const char *topic = rd_kafka_topic_name(msgs[i]->rkt);
        rd_kafka_topic_partition_t *tp =
            rd_kafka_topic_partition_list_find(offs, topic, msgs[i]->partition);
        if (!tp)
            tp = rd_kafka_topic_partition_list_add(offs, topic, msgs[i]->partition);
        if (msgs[i]->offset + 1 > tp->offset)
            tp->offset = msgs[i]->offset + 1;
    }
    err = rd_kafka_commit(c->rk, offs, async);
    rd_kafka_topic_partition_list_destroy(offs);
    if (err) {
        snprintf(errstr, errstr_size, "kafka commit: %s", rd_kafka_err2str(err));
        return -1;
    }
    return 0;
}

void sb_consumer_destroy(sb_consumer_t *c) {
    if (!c)
        return;
    rd_kafka_consumer_close(c->rk);
    rd_kafka_destroy(c->rk);
    free(c);
}

int64_t sb_consumer_lag(sb_consumer_t *c) {
    rd_kafka_topic_partition_list_t *parts = NULL;
    int64_t lag = -1;
    if (!c || rd_kafka_assignment(c->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts)
        return -1;
    /* the group's committed offsets against the log end, both asked of the
     * broker: the usual meaning of lag, whatever the local fetch queue holds */
    if (parts->cnt > 0 &&
        rd_kafka_committed(c->rk, parts, LAG_TIMEOUT_MS) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < parts->cnt; i++) {
            int64_t lo, hi;
            const rd_kafka_topic_partition_t *p = &parts->elems[i];
            if (rd_kafka_query_watermark_offsets(c->rk, p->topic, p->partition, &lo, &hi,
                                                 LAG_TIMEOUT_MS) != RD_KAFKA_RESP_ERR_NO_ERROR)
                continue;
            /* nothing committed yet: everything still in the log is behind */
            int64_t from = p->offset >= 0 ? p->offset : lo;
            lag = (lag < 0 ? 0 : lag) + (hi > from ? hi - from : 0);
        }
    }
    rd_kafka_topic_partition_list_destroy(parts);
    return lag;
}
