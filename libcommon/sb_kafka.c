/* sb_kafka: consumer, producer and topic creation over librdkafka. */
#include "sb_kafka.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sb_log.h"
#include "sb_signal.h"

extern char **environ;

const char *const sb_kafka_topic_suffixes[] = {
    SB_TOPIC_ALERTS,
    SB_TOPIC_ALERTS_DLQ,
    SB_TOPIC_PROMPTS,
    SB_TOPIC_RESPONSES,
    SB_TOPIC_ESCALATION_REQUESTS,
    SB_TOPIC_ESCALATIONS,
    SB_TOPIC_OUTCOMES,
    NULL,
};

#define ENV_PREFIX         "SECURITYBOT_KAFKA_"
#define SB_KAFKA_VALUE_MAX 65536

/* The latest connection failure librdkafka reported through error_cb (TLS,
 * SASL, transport), so that an operation that times out can name its cause:
 * a wrong CA or password otherwise ends as a bare "Local: Timed out". The
 * reasons name the broker and the failure, never a credential. */
typedef struct {
    char text[384];
    int tls_or_auth; /* text is a TLS or SASL failure: not overwritten by a transport one */
} broker_error_t;

static void broker_error_note(broker_error_t *be, int err, const char *reason) {
    int tls_or_auth = err == RD_KAFKA_RESP_ERR__SSL || err == RD_KAFKA_RESP_ERR__AUTHENTICATION;
    if (!tls_or_auth && err != RD_KAFKA_RESP_ERR__TRANSPORT && err != RD_KAFKA_RESP_ERR__RESOLVE)
        return;
    if (be->tls_or_auth && !tls_or_auth)
        return;
    snprintf(be->text, sizeof(be->text), "%s", reason ? reason : rd_kafka_err2str(err));
    be->tls_or_auth = tls_or_auth;
}

/* "; last broker error: ..." or "", to append to an error message. */
static const char *broker_error_suffix(const broker_error_t *be, char *buf, size_t size) {
    if (!be->text[0])
        return "";
    snprintf(buf, size, "; last broker error: %s", be->text);
    return buf;
}

struct sb_producer_s {
    rd_kafka_t *rk;
    long failed; /* delivery failures since the last flush */
    rd_kafka_resp_err_t last_err;
    int fatal;
    broker_error_t broker_error;
};

/* How long a lag query (for a metrics scrape) may wait for the broker. */
#define LAG_TIMEOUT_MS 1000

struct sb_consumer_s {
    rd_kafka_t *rk;
    unsigned generation;
    int fatal;
};

int sb_kafka_topic(char *buf, size_t size, const char *prefix, const char *suffix) {
    int n = snprintf(buf, size, "%s%s", prefix ? prefix : "", suffix);
    return (n < 0 || (size_t)n >= size) ? -1 : 0;
}

static void log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
    sb_log_level_t l = level <= 3   ? SB_LOG_ERROR
                       : level <= 4 ? SB_LOG_WARN
                       : level <= 6 ? SB_LOG_INFO
                                    : SB_LOG_DEBUG;
    sb_log_kv_t kv[] = {{"component", "librdkafka"}, {"facility", fac}};
    (void)rk;
    sb_log_kv(l, kv, 2, "%s", buf);
}

static int read_file(const char *path, char *buf, size_t size) {
    FILE *f = fopen(path, "rb");
    size_t n;
    if (!f)
        return -1;
    n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    if (n && buf[n - 1] == '\n')
        buf[--n] = '\0';
    if (n && buf[n - 1] == '\r')
        buf[--n] = '\0';
    return 0;
}

/* Applies one SECURITYBOT_KAFKA_* variable. The error names the property,
 * never the value (it may be a password). */
static int apply_env(rd_kafka_conf_t *conf, const char *entry, char *errstr, size_t errstr_size) {
    char name[128], prop[128], rderr[256], *value = NULL;
    const char *eq = strchr(entry, '='), *suffix = entry + strlen(ENV_PREFIX);
    size_t len;
    int from_file = 0, rc = -1;

    if (!eq || (size_t)(eq - suffix) >= sizeof(name))
        return 0;
    len = (size_t)(eq - suffix);
    memcpy(name, suffix, len);
    name[len] = '\0';
    if (strcmp(name, "BROKERS") == 0 || len == 0)
        return 0;
    if (len > 5 && strcmp(name + len - 5, "_FILE") == 0) {
        name[len - 5] = '\0';
        from_file = 1;
    }
    for (len = 0; name[len]; len++)
        prop[len] = name[len] == '_' ? '.' : (char)tolower((unsigned char)name[len]);
    prop[len] = '\0';

    if (!(value = calloc(1, SB_KAFKA_VALUE_MAX))) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    if (from_file) {
        if (read_file(eq + 1, value, SB_KAFKA_VALUE_MAX) == -1) {
            snprintf(errstr, errstr_size, "%s%s_FILE: cannot read %s: %s", ENV_PREFIX, name, eq + 1,
                     strerror(errno));
            goto out;
        }
    } else {
        snprintf(value, SB_KAFKA_VALUE_MAX, "%s", eq + 1);
    }
    if (rd_kafka_conf_set(conf, prop, value, rderr, sizeof(rderr)) != RD_KAFKA_CONF_OK) {
        snprintf(errstr, errstr_size, "%s%s: librdkafka refused property \"%s\"", ENV_PREFIX, name,
                 prop);
        goto out;
    }
    /* A file librdkafka reads only when it creates the client (CA,
     * certificate, key): checked now, so that a wrong path is a
     * configuration error (exit 2) and not a failure at start-up. The
     * path is not secret; "probe" asks librdkafka to search itself. */
    len = strlen(prop);
    if (len > 9 && strcmp(prop + len - 9, ".location") == 0 && strcmp(value, "probe") != 0 &&
        access(value, R_OK) != 0) {
        snprintf(errstr, errstr_size, "%s%s: cannot read %.200s: %s", ENV_PREFIX, name, value,
                 strerror(errno));
        goto out;
    }
    rc = 0;
out:
    /* the value may be a password: do not leave it in freed memory */
    memset(value, 0, SB_KAFKA_VALUE_MAX);
    free(value);
    return rc;
}

rd_kafka_conf_t *sb_kafka_conf_new(const char *brokers, char *errstr, size_t errstr_size) {
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, errstr_size) !=
        RD_KAFKA_CONF_OK)
        goto fail;
    rd_kafka_conf_set_log_cb(conf, log_cb);
    for (char **e = environ; e && *e; e++) {
        if (strncmp(*e, ENV_PREFIX, strlen(ENV_PREFIX)) == 0 &&
            apply_env(conf, *e, errstr, errstr_size) == -1)
            goto fail;
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

int sb_kafka_conf_check(const char *brokers, char *errstr, size_t errstr_size) {
    rd_kafka_conf_t *conf = sb_kafka_conf_new(brokers, errstr, errstr_size);
    if (!conf)
        return -1;
    rd_kafka_conf_destroy(conf);
    return 0;
}

/* ---- producer ---- */

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
    broker_error_note(&p->broker_error, err, reason);
}

sb_producer_t *sb_producer_new(const char *brokers, char *errstr, size_t errstr_size) {
    sb_producer_t *p = calloc(1, sizeof(*p));
    rd_kafka_conf_t *conf = NULL;
    if (!p) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    if (!(conf = sb_kafka_conf_new(brokers, errstr, errstr_size)))
        goto fail;
    if (rd_kafka_conf_set(conf, "enable.idempotence", "true", errstr, errstr_size) ||
        rd_kafka_conf_set(conf, "linger.ms", "5", errstr, errstr_size) ||
        rd_kafka_conf_set(conf, "compression.type", "lz4", errstr, errstr_size))
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
                 broker_error_suffix(&p->broker_error, cause, sizeof(cause)));
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

/* ---- consumer ---- */

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
    if (!(conf = sb_kafka_conf_new(brokers, errstr, errstr_size)))
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

/* ---- admin ---- */

static void admin_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)rk;
    broker_error_note(opaque, err, reason);
}

int sb_kafka_create_topics(const char *brokers, const char *const *names, size_t n, int partitions,
                           int replication, int timeout_ms, char *errstr, size_t errstr_size) {
    rd_kafka_conf_t *conf = sb_kafka_conf_new(brokers, errstr, errstr_size);
    rd_kafka_t *rk = NULL;
    rd_kafka_NewTopic_t **nt = NULL;
    rd_kafka_queue_t *q = NULL;
    rd_kafka_event_t *ev = NULL;
    rd_kafka_AdminOptions_t *opts = NULL;
    broker_error_t broker_error = {{0}, 0};
    char cause[sizeof(broker_error.text) + 32];
    int rc = -1;

    if (!conf)
        return -1;
    rd_kafka_conf_set_error_cb(conf, admin_error_cb);
    rd_kafka_conf_set_opaque(conf, &broker_error);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (!rk) {
        rd_kafka_conf_destroy(conf);
        return -1;
    }
    nt = calloc(n, sizeof(*nt));
    if (!nt) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        nt[i] = rd_kafka_NewTopic_new(names[i], partitions, replication, errstr, errstr_size);
        if (!nt[i])
            goto out;
    }
    q = rd_kafka_queue_new(rk);
    opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(opts, timeout_ms, errstr, errstr_size);
    rd_kafka_AdminOptions_set_request_timeout(opts, timeout_ms, errstr, errstr_size);
    rd_kafka_CreateTopics(rk, nt, n, opts, q);
    /* rd_kafka_poll serves error_cb, which notes why the brokers are unreachable */
    for (int waited = 0; !ev && waited < timeout_ms + 5000; waited += 100) {
        ev = rd_kafka_queue_poll(q, 100);
        rd_kafka_poll(rk, 0);
    }
    if (!ev) {
        snprintf(errstr, errstr_size, "kafka: no answer to CreateTopics within %d ms%s", timeout_ms,
                 broker_error_suffix(&broker_error, cause, sizeof(cause)));
        goto out;
    }
    if (rd_kafka_event_error(ev)) {
        snprintf(errstr, errstr_size, "kafka CreateTopics: %s%s", rd_kafka_event_error_string(ev),
                 broker_error_suffix(&broker_error, cause, sizeof(cause)));
        goto out;
    }
    {
        size_t cnt;
        const rd_kafka_topic_result_t **res =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
        for (size_t i = 0; i < cnt; i++) {
            rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
            if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                snprintf(errstr, errstr_size, "kafka: cannot create %s: %s",
                         rd_kafka_topic_result_name(res[i]),
                         rd_kafka_topic_result_error_string(res[i]));
                goto out;
            }
        }
    }
    rc = 0;
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    if (opts)
        rd_kafka_AdminOptions_destroy(opts);
    if (q)
        rd_kafka_queue_destroy(q);
    if (nt) {
        for (size_t i = 0; i < n; i++)
            if (nt[i])
                rd_kafka_NewTopic_destroy(nt[i]);
        free(nt);
    }
    rd_kafka_destroy(rk);
    return rc;
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
