/* sb_consumer: the Kafka group consumer: rebalances, polling, manual commits, lag. */
#include "sb_consumer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

#include "sb_kafka.h"
#include "sb_log.h"

/* How long a lag query (for a metrics scrape) may wait for the broker. */
#define LAG_TIMEOUT_MS 1000
/* Kafka's limit on a group member's static name. */
#define INSTANCE_ID_MAX 249

/* librdkafka's defaults wait 45 s before a SIGKILLed member is dropped and
 * its partitions move; 10 s (the broker's minimum is 6) notices a replica
 * that is really gone in time, at the price of a rebalance when a replica
 * misses heartbeats for 10 s (a long stall; nothing is lost either way).
 * Heartbeats come from librdkafka's own thread, not from our loop.
 * SECURITYBOT_KAFKA_SESSION_TIMEOUT_MS and _HEARTBEAT_INTERVAL_MS override. */
static const char *const consumer_defaults[] = {
    "session.timeout.ms", "10000", "heartbeat.interval.ms", "1000", NULL,
};

/* A static member fenced this many times within FENCE_WINDOW_S is taken
 * to share its name with another replica: it stops instead of rejoining. */
#define FENCE_LIMIT    3
#define FENCE_WINDOW_S 300
#define MAX_TOPICS     4

struct sb_consumer_s {
    rd_kafka_t *rk;
    /* the metrics thread reads lag through rk while the main thread may
     * replace it (sb_consumer_rejoin) */
    pthread_mutex_t rk_lock;
    unsigned generation;
    int fatal;
    int fenced;                 /* the fatal error is a fencing of this static member */
    time_t fences[FENCE_LIMIT]; /* when the last ones happened, a ring */
    unsigned nfences;
    /* what a rejoin needs: owned copies */
    char *brokers, *group, *instance_id;
    char *topics[MAX_TOPICS];
    size_t ntopics;
};

/* "topic[0,3,7] other[1]": which partitions, for the log (the benchmarks
 * read each replica's share of the work from it). Cut at size. */
static void describe_parts(const rd_kafka_topic_partition_list_t *parts, char *out, size_t size) {
    size_t len = 0;
    out[0] = '\0';
    for (int i = 0; i < parts->cnt && len < size; i++) {
        const rd_kafka_topic_partition_t *p = &parts->elems[i];
        int same = i > 0 && strcmp(parts->elems[i - 1].topic, p->topic) == 0;
        int w = same ? snprintf(out + len, size - len, ",%d", (int)p->partition)
                     : snprintf(out + len, size - len, "%s%s[%d", i ? "] " : "", p->topic,
                                (int)p->partition);
        len += w > 0 ? (size_t)w : 0;
    }
    if (parts->cnt > 0 && len + 1 < size)
        memcpy(out + len, "]", 2);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque) {
    sb_consumer_t *c = opaque;
    char n[16], which[512];
    snprintf(n, sizeof(n), "%d", parts->cnt);
    describe_parts(parts, which, sizeof(which));
    sb_log_kv_t kv[] = {{"partitions", n}, {"which", which}};

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        sb_log_kv(SB_LOG_INFO, kv, 2, "kafka: partitions assigned");
        if (!strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE"))
            rd_kafka_error_destroy(rd_kafka_incremental_assign(rk, parts));
        else
            rd_kafka_assign(rk, parts);
        return;
    }
    /* Revoked (or lost): whatever batch is being collected may contain
     * messages of these partitions; the caller drops it uncommitted. */
    c->generation++;
    sb_log_kv(SB_LOG_INFO, kv, 2, "kafka: partitions revoked");
    if (!strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE"))
        rd_kafka_error_destroy(rd_kafka_incremental_unassign(rk, parts));
    else
        rd_kafka_assign(rk, NULL);
}

int sb_consumer_check_instance_id(const char *id, char *errstr, size_t errstr_size) {
    size_t len = strlen(id);
    if (len == 0 || len > INSTANCE_ID_MAX ||
        strspn(id, "abcdefghijklmnopqrstuvwxyz"
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                   "0123456789._-") != len) {
        snprintf(errstr, errstr_size,
                 "SECURITYBOT_INSTANCE_ID must be 1-%d characters of A-Z, a-z, 0-9, '.', '_' "
                 "and '-'",
                 INSTANCE_ID_MAX);
        return -1;
    }
    return 0;
}

/* A subscribed client for c's settings into c->rk: 0, or -1 with errstr. */
static int client_new(sb_consumer_t *c, char *errstr, size_t errstr_size) {
    rd_kafka_conf_t *conf = NULL;
    rd_kafka_topic_partition_list_t *subs;
    rd_kafka_t *rk = NULL;
    rd_kafka_resp_err_t err;

    if (!(conf = sb_kafka_conf_new(c->brokers, consumer_defaults, errstr, errstr_size)))
        return -1;
    if ((c->instance_id &&
         rd_kafka_conf_set(conf, "group.instance.id", c->instance_id, errstr, errstr_size)) ||
        rd_kafka_conf_set(conf, "group.id", c->group, errstr, errstr_size) ||
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", errstr, errstr_size) ||
        rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", errstr, errstr_size))
        goto fail;
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_conf_set_opaque(conf, c);
    if (!(rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, errstr_size)))
        goto fail;
    conf = NULL; /* now owned by the consumer */
    rd_kafka_poll_set_consumer(rk);

    subs = rd_kafka_topic_partition_list_new((int)c->ntopics);
    for (size_t i = 0; i < c->ntopics; i++)
        rd_kafka_topic_partition_list_add(subs, c->topics[i], RD_KAFKA_PARTITION_UA);
    err = rd_kafka_subscribe(rk, subs);
    rd_kafka_topic_partition_list_destroy(subs);
    if (err) {
        snprintf(errstr, errstr_size, "kafka subscribe: %s", rd_kafka_err2str(err));
        goto fail;
    }
    pthread_mutex_lock(&c->rk_lock);
    c->rk = rk;
    pthread_mutex_unlock(&c->rk_lock);
    return 0;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    if (rk)
        rd_kafka_destroy(rk);
    return -1;
}

/* Closes and destroys c->rk (NULL afterwards). */
static void client_close(sb_consumer_t *c) {
    rd_kafka_t *rk;
    pthread_mutex_lock(&c->rk_lock);
    rk = c->rk;
    c->rk = NULL;
    pthread_mutex_unlock(&c->rk_lock);
    if (!rk)
        return;
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
}

static void consumer_free(sb_consumer_t *c) {
    free(c->brokers);
    free(c->group);
    free(c->instance_id);
    for (size_t i = 0; i < c->ntopics; i++)
        free(c->topics[i]);
    pthread_mutex_destroy(&c->rk_lock);
    free(c);
}

sb_consumer_t *sb_consumer_new(const char *brokers, const char *group, const char *instance_id,
                               const char *const *topics, size_t n, char *errstr,
                               size_t errstr_size) {
    sb_consumer_t *c = calloc(1, sizeof(*c));
    int oom;

    if (!c) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&c->rk_lock, NULL);
    if (n > MAX_TOPICS) {
        snprintf(errstr, errstr_size, "a consumer reads at most %d topics", MAX_TOPICS);
        consumer_free(c);
        return NULL;
    }
    c->brokers = strdup(brokers);
    c->group = strdup(group);
    c->instance_id = instance_id && *instance_id ? strdup(instance_id) : NULL;
    oom = !c->brokers || !c->group || (instance_id && *instance_id && !c->instance_id);
    for (; c->ntopics < n; c->ntopics++)
        oom |= !(c->topics[c->ntopics] = strdup(topics[c->ntopics]));
    if (oom)
        snprintf(errstr, errstr_size, "out of memory");
    if (oom || client_new(c, errstr, errstr_size) == -1) {
        consumer_free(c);
        return NULL;
    }
    return c;
}

/* Logs and frees an error event from the consumer; always NULL. */
static rd_kafka_message_t *consumer_error(sb_consumer_t *c, rd_kafka_message_t *m) {
    char buf[512];
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        rd_kafka_message_destroy(m);
        return NULL;
    }
    if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
        if (rd_kafka_fatal_error(c->rk, buf, sizeof(buf)) == RD_KAFKA_RESP_ERR_FENCED_INSTANCE_ID &&
            c->instance_id) {
            /* librdkafka fences its own member when its session ran out
             * (a coordinator away longer than the session) and it rejoins:
             * the caller rejoins with a new client (sb_consumer_rejoin) */
            sb_log_warn("kafka consumer fenced as %s: %s; rejoining", c->instance_id, buf);
            c->fenced = 1;
        } else {
            sb_log_error("kafka consumer fatal error: %s", buf);
        }
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

int sb_consumer_fenced(const sb_consumer_t *c) {
    return c->fenced;
}

int sb_consumer_rejoin(sb_consumer_t *c, char *errstr, size_t errstr_size) {
    time_t now = time(NULL);
    c->fences[c->nfences++ % FENCE_LIMIT] = now;
    /* the oldest of the last FENCE_LIMIT fences */
    if (c->nfences >= FENCE_LIMIT && now - c->fences[c->nfences % FENCE_LIMIT] < FENCE_WINDOW_S) {
        snprintf(errstr, errstr_size,
                 "kafka consumer fenced %d times within %d s: another replica joined the group "
                 "with this SECURITYBOT_INSTANCE_ID (%s); each replica needs its own",
                 FENCE_LIMIT, FENCE_WINDOW_S, c->instance_id);
        return -1;
    }
    client_close(c);
    if (client_new(c, errstr, errstr_size) == -1)
        return -1;
    c->generation++;
    c->fatal = c->fenced = 0;
    sb_log_info("kafka: rejoined group %s as %s", c->group, c->instance_id);
    return 0;
}

void sb_consumer_destroy(sb_consumer_t *c) {
    if (!c)
        return;
    client_close(c);
    consumer_free(c);
}

static int64_t lag_of(rd_kafka_t *rk);

int64_t sb_consumer_lag(sb_consumer_t *c) {
    int64_t lag;
    if (!c)
        return -1;
    pthread_mutex_lock(&c->rk_lock);
    lag = c->rk ? lag_of(c->rk) : -1;
    pthread_mutex_unlock(&c->rk_lock);
    return lag;
}

/* The group's lag over rk's assignment, or -1. */
static int64_t lag_of(rd_kafka_t *rk) {
    rd_kafka_topic_partition_list_t *parts = NULL;
    int64_t lag = -1;
    if (rd_kafka_assignment(rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR || !parts)
        return -1;
    /* the group's committed offsets against the log end, both asked of the
     * broker: the usual meaning of lag, whatever the local fetch queue holds */
    if (parts->cnt > 0 &&
        rd_kafka_committed(rk, parts, LAG_TIMEOUT_MS) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        for (int i = 0; i < parts->cnt; i++) {
            int64_t lo, hi;
            const rd_kafka_topic_partition_t *p = &parts->elems[i];
            if (rd_kafka_query_watermark_offsets(rk, p->topic, p->partition, &lo, &hi,
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
