/* sb_kafka_admin: creating topics (sbctl topics) with librdkafka's admin API. */
#include "sb_kafka_admin.h"

#include <stdio.h>
#include <stdlib.h>

#include "sb_kafka.h"

static void admin_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
    (void)rk;
    sb_kafka_broker_error_note(opaque, err, reason);
}

/* A client for admin requests whose error_cb notes connection failures in
 * broker_error; NULL with errstr set. */
static rd_kafka_t *admin_client(const char *brokers, sb_kafka_broker_error_t *broker_error,
                                char *errstr, size_t errstr_size) {
    rd_kafka_conf_t *conf = sb_kafka_conf_new(brokers, NULL, errstr, errstr_size);
    rd_kafka_t *rk;
    if (!conf)
        return NULL;
    rd_kafka_conf_set_error_cb(conf, admin_error_cb);
    rd_kafka_conf_set_opaque(conf, broker_error);
    rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, errstr_size);
    if (!rk)
        rd_kafka_conf_destroy(conf);
    return rk;
}

static void new_topics_free(rd_kafka_NewTopic_t **nt, size_t n) {
    if (!nt)
        return;
    for (size_t i = 0; i < n; i++)
        if (nt[i])
            rd_kafka_NewTopic_destroy(nt[i]);
    free(nt);
}

/* The n NewTopic requests, or NULL with errstr set. */
static rd_kafka_NewTopic_t **new_topics(const char *const *names, size_t n, int partitions,
                                        int replication, char *errstr, size_t errstr_size) {
    rd_kafka_NewTopic_t **nt = calloc(n, sizeof(*nt));
    if (!nt) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        nt[i] = rd_kafka_NewTopic_new(names[i], partitions, replication, errstr, errstr_size);
        /* with three copies, an acknowledged message (acks=all) is on two
         * brokers at least: one broker lost loses nothing, and writes go on */
        if (nt[i] && replication >= 3 &&
            rd_kafka_NewTopic_set_config(nt[i], "min.insync.replicas", "2") !=
                RD_KAFKA_RESP_ERR_NO_ERROR) {
            snprintf(errstr, errstr_size, "kafka: cannot set min.insync.replicas");
            rd_kafka_NewTopic_destroy(nt[i]);
            nt[i] = NULL;
        }
        if (!nt[i]) {
            new_topics_free(nt, n);
            return NULL;
        }
    }
    return nt;
}

/* 0 when every topic of the CreateTopics result ev exists now, else -1. */
static int check_result(rd_kafka_event_t *ev, const sb_kafka_broker_error_t *broker_error,
                        char *errstr, size_t errstr_size) {
    char cause[sizeof(broker_error->text) + 32];
    size_t cnt;
    const rd_kafka_topic_result_t **res;
    if (rd_kafka_event_error(ev)) {
        snprintf(errstr, errstr_size, "kafka CreateTopics: %s%s", rd_kafka_event_error_string(ev),
                 sb_kafka_broker_error_suffix(broker_error, cause, sizeof(cause)));
        return -1;
    }
    res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &cnt);
    for (size_t i = 0; i < cnt; i++) {
        rd_kafka_resp_err_t e = rd_kafka_topic_result_error(res[i]);
        if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            snprintf(errstr, errstr_size, "kafka: cannot create %s: %s",
                     rd_kafka_topic_result_name(res[i]),
                     rd_kafka_topic_result_error_string(res[i]));
            return -1;
        }
    }
    return 0;
}

/* The replication factor the cluster allows: 3 copies when it has three
 * brokers or more, else one per broker. -1 with errstr when the metadata
 * does not come. */
static int cluster_replication(rd_kafka_t *rk, int timeout_ms,
                               const sb_kafka_broker_error_t *broker_error, char *errstr,
                               size_t errstr_size) {
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, NULL, &md, timeout_ms);
    char cause[sizeof(broker_error->text) + 32];
    int brokers;
    if (err) {
        rd_kafka_poll(rk, 0); /* error_cb notes why the brokers are unreachable */
        snprintf(errstr, errstr_size, "kafka: no metadata to count the brokers: %s%s",
                 rd_kafka_err2str(err),
                 sb_kafka_broker_error_suffix(broker_error, cause, sizeof(cause)));
        return -1;
    }
    brokers = md->broker_cnt;
    rd_kafka_metadata_destroy(md);
    return brokers >= 3 ? 3 : brokers > 0 ? brokers : 1;
}

int sb_kafka_create_topics(const char *brokers, const char *const *names, size_t n, int partitions,
                           int replication, int timeout_ms, char *errstr, size_t errstr_size) {
    sb_kafka_broker_error_t broker_error = {{0}, 0};
    char cause[sizeof(broker_error.text) + 32];
    rd_kafka_t *rk = admin_client(brokers, &broker_error, errstr, errstr_size);
    rd_kafka_NewTopic_t **nt = NULL;
    rd_kafka_queue_t *q = NULL;
    rd_kafka_event_t *ev = NULL;
    rd_kafka_AdminOptions_t *opts = NULL;
    int rc = -1;

    if (!rk)
        return -1;
    if (replication == 0 && (replication = cluster_replication(rk, timeout_ms, &broker_error,
                                                               errstr, errstr_size)) == -1)
        goto out;
    if (!(nt = new_topics(names, n, partitions, replication, errstr, errstr_size)))
        goto out;
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
    if (!ev)
        snprintf(errstr, errstr_size, "kafka: no answer to CreateTopics within %d ms%s", timeout_ms,
                 sb_kafka_broker_error_suffix(&broker_error, cause, sizeof(cause)));
    else
        rc = check_result(ev, &broker_error, errstr, errstr_size);
out:
    if (ev)
        rd_kafka_event_destroy(ev);
    if (opts)
        rd_kafka_AdminOptions_destroy(opts);
    if (q)
        rd_kafka_queue_destroy(q);
    new_topics_free(nt, n);
    rd_kafka_destroy(rk);
    return rc;
}
