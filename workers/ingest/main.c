/* sb-ingest: consumes securitybot.alerts, records each valid alert once in
 * PostgreSQL and queues its prompt (or escalation, or outcome); dead-letters
 * the rest. The wiring and the consume loop; the decisions live in
 * ingest.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "sb_cli.h"
#include "sb_config.h"
#include "sb_db.h"
#include "sb_kafka.h"
#include "sb_log.h"
#include "sb_signal.h"
#include "sb_time.h"

#define WORKER "sb-ingest"

/* A batch also stops growing at this many payload bytes, so that the
 * largest batch (10000 alerts of up to 64 KiB) cannot become one
 * half-gigabyte statement. */
#define MAX_BATCH_BYTES (32u << 20)
#define POLL_CHUNK      256

typedef struct {
    sb_common_config_t common;
    char *metrics_listen;
    char *group;
    long batch_size;
    int64_t batch_wait_ms;
    long db_connections;
} ingest_config_t;

static void destroy_messages(rd_kafka_message_t **msgs, size_t n) {
    for (size_t i = 0; i < n; i++)
        rd_kafka_message_destroy(msgs[i]);
}

/* Polls up to max messages: waits up to first_ms for the first, then up to
 * fill_ms more to fill the batch. Returns how many.
 *
 * A rebalance during the collection does NOT drop the batch: the same
 * poll can revoke and re-assign, and the messages of the new assignment
 * would then be gone from the fetch position without ever coming back
 * (this lost alerts in the replica test). Processing messages of a
 * partition that moved is safe: every effect is idempotent, and a commit
 * for it only covers offsets this consumer processed in order. */
static size_t collect(sb_consumer_t *c, rd_kafka_message_t **msgs, size_t max, int first_ms,
                      int64_t fill_ms) {
    int64_t first = 0;
    size_t n = 0, bytes = 0;

    while (n < max && bytes < MAX_BATCH_BYTES && sb_running && !sb_consumer_fatal(c)) {
        int timeout = first_ms;
        if (n > 0) {
            /* past the fill time, still take what the consumer already
             * holds (timeout 0): a backlog then comes in full batches
             * instead of one alert per transaction */
            int64_t left_ms = fill_ms - (sb_time_monotonic_us() - first) / 1000;
            timeout = left_ms <= 0 ? 0 : left_ms < 100 ? (int)left_ms : 100;
        }
        /* Many at once: one call per batch instead of one per message. But
         * when waiting for the first, ask for one: a chunk would wait out
         * the timeout for it to fill (~100 ms on every quiet alert). */
        size_t want = n == 0 && first_ms > 0 ? 1 : max - n < POLL_CHUNK ? max - n : POLL_CHUNK;
        size_t got = sb_consumer_poll_batch(c, msgs + n, want, timeout);
        if (got == 0)
            break; /* idle (or nothing more within the fill time) */
        if (n == 0)
            first = sb_time_monotonic_us();
        for (size_t i = n; i < n + got; i++)
            bytes += msgs[i]->len;
        n += got;
    }
    return n;
}

/* A validated batch from the consumer, or NULL when there was none. */
static sb_ingest_batch_t *next_batch(sb_consumer_t *c, rd_kafka_message_t **buf, size_t max,
                                     int first_ms, int64_t fill_ms, int *oom) {
    size_t n = collect(c, buf, max, first_ms, fill_ms);
    sb_ingest_batch_t *b;
    if (n == 0)
        return NULL;
    if (!(b = sb_ingest_batch_new(buf, n))) {
        destroy_messages(buf, n);
        sb_log_error("out of memory for a batch of %zu", n);
        *oom = 1;
    }
    return b;
}

/* Makes sure every connection is usable (reconnecting while the server is
 * away). 0, or -1 when shutdown interrupted. */
static int ensure_connections(sb_ingest_t *ing, char *errstr, size_t errstr_size) {
    for (size_t i = 0; i < ing->ndb; i++)
        if (sb_db_ensure(ing->db[i], errstr, errstr_size) == -1)
            return -1;
    return sb_db_ensure(ing->progress_db, errstr, errstr_size);
}

static void commit(sb_ingest_t *ing, sb_consumer_t *c, const sb_ingest_batch_t *b) {
    char errstr[512];
    size_t n;
    rd_kafka_message_t *const *msgs = sb_ingest_batch_messages(b, &n);
    sb_metrics_count(ing->metrics, SB_M_CONSUMED, ing->topic_alerts, (double)n);
    sb_metrics_observe(ing->metrics, (double)sb_ingest_batch_age_us(b) / 1e6);
    sb_metrics_beat(ing->metrics);
    /* A failed commit is harmless: the batch is redelivered and its effects
     * are idempotent. Asynchronous while running (the next commit covers a
     * lost one); the last one before shutdown waits. */
    if (sb_consumer_commit(c, msgs, n, sb_running ? 1 : 0, errstr, sizeof(errstr)) == -1)
        sb_log_warn("%s (the batch will be redelivered)", errstr);
}

/* Runs batch b alone until its effects are durable, backing off while the
 * database or the broker is away, then commits its offsets. With
 * produced set, b's messages are already queued and only need confirming
 * first. Returns 0, or -1 when shutdown or a fatal error interrupted the
 * retries (the batch stays uncommitted and comes back). */
static int settle(sb_ingest_t *ing, sb_consumer_t *c, sb_ingest_batch_t *b, int produced) {
    char errstr[512] = "shutting down before it could run";
    long backoff = 100;
    size_t n;
    int ok = produced && sb_ingest_confirm(ing, b, errstr, sizeof(errstr)) == 0;

    sb_ingest_batch_messages(b, &n);
    while (!ok) {
        if (sb_producer_fatal(ing->producer) || !sb_running) {
            sb_log_error("batch of %zu not finished: %s", n, errstr);
            return -1;
        }
        if (produced || backoff > 100) {
            sb_log_warn("batch of %zu failed, retrying in %ld ms: %s", n, backoff, errstr);
            sb_time_sleep_ms(backoff);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
        }
        produced = 1; /* from here on, every failure backs off */
        ok = ensure_connections(ing, errstr, sizeof(errstr)) == 0 &&
             sb_ingest_run(ing, b, errstr, sizeof(errstr)) == 0;
    }
    commit(ing, c, b);
    return 0;
}

/* Sends b's recording statements (after making sure the connections are
 * up). Returns whether they all went out. */
static int send_batch(sb_ingest_t *ing, sb_ingest_batch_t *b) {
    char errstr[512];
    return ensure_connections(ing, errstr, sizeof(errstr)) == 0 &&
           sb_ingest_send(ing, b, errstr, sizeof(errstr)) == 0;
}

/* The loop: three batches overlap. While PostgreSQL records `inflight`,
 * Kafka acknowledges `pending` (produced last round), whose progress and
 * offsets are then committed, and the next batch is collected and
 * validated; once `inflight` is recorded, the next batch's statements go
 * out before `inflight`'s messages are produced, so PostgreSQL is kept busy.
 * Any failure falls back to running that batch alone until it is durable. */
static int consume(sb_ingest_t *ing, sb_consumer_t *c, rd_kafka_message_t **buf, size_t max,
                   int64_t fill_ms) {
    sb_ingest_batch_t *pending = NULL, *inflight = NULL, *next;
    int inflight_sent = 0, next_sent, rc = 0, oom = 0;
    char errstr[512];

    while (sb_running && !oom && !sb_consumer_fatal(c) && !sb_producer_fatal(ing->producer)) {
        sb_metrics_beat(ing->metrics);
        if (!inflight) {
            /* nothing in PostgreSQL: wait for work (100 ms, then look at the
             * run flag), settling what is pending when there is none */
            if (!(inflight = next_batch(c, buf, max, 100, fill_ms, &oom))) {
                if (pending) {
                    rc = settle(ing, c, pending, 1);
                    sb_ingest_batch_destroy(pending);
                    pending = NULL;
                    if (rc == -1)
                        break;
                }
                continue;
            }
            inflight_sent = send_batch(ing, inflight);
        }
        /* PostgreSQL is recording `inflight`; meanwhile settle `pending`... */
        if (pending) {
            if (sb_ingest_confirm(ing, pending, errstr, sizeof(errstr)) == 0) {
                commit(ing, c, pending);
            } else {
                /* the lanes must be free before pending runs alone */
                sb_ingest_wait(ing, inflight, errstr, sizeof(errstr));
                inflight_sent = 0;
                rc = settle(ing, c, pending, 0);
            }
            sb_ingest_batch_destroy(pending);
            pending = NULL;
            if (rc == -1)
                break;
        }
        /* ...and take whatever the consumer already has, without waiting */
        next = sb_running ? next_batch(c, buf, max, 0, 0, &oom) : NULL;
        next_sent = 0;

        if (!(sb_ingest_wait(ing, inflight, errstr, sizeof(errstr)) == 0 && inflight_sent)) {
            rc = settle(ing, c, inflight, 0);
            sb_ingest_batch_destroy(inflight);
            inflight = NULL;
        }
        if (next && rc == 0)
            next_sent = send_batch(ing, next);
        if (inflight) {
            if (sb_ingest_produce(ing, inflight, errstr, sizeof(errstr)) == 0) {
                pending = inflight;
            } else {
                /* the lanes may hold next: drain them first (next then
                 * runs alone next round) */
                if (next)
                    sb_ingest_wait(ing, next, errstr, sizeof(errstr));
                next_sent = 0;
                rc = settle(ing, c, inflight, 0);
                sb_ingest_batch_destroy(inflight);
            }
        }
        inflight = next;
        inflight_sent = next_sent;
        if (rc == -1)
            break;
    }
    /* Shutdown (SIGTERM): what is in flight is finished, not dropped. The
     * lanes are drained first; pending's messages were produced before
     * inflight's, so it is confirmed first. */
    if (inflight && !(sb_ingest_wait(ing, inflight, errstr, sizeof(errstr)) == 0 && inflight_sent))
        inflight_sent = 0;
    if (pending) {
        if (settle(ing, c, pending, 1) == -1)
            rc = -1;
        sb_ingest_batch_destroy(pending);
    }
    if (inflight) {
        int produced =
            inflight_sent && sb_ingest_produce(ing, inflight, errstr, sizeof(errstr)) == 0;
        if (settle(ing, c, inflight, produced) == -1)
            rc = -1;
        sb_ingest_batch_destroy(inflight);
    }
    return rc == 0 && !oom ? 0 : -1;
}

int main(int argc, char **argv) {
    ingest_config_t cfg = {0};
    sb_cfg_entry_t table[] = {
        SB_COMMON_CONFIG_ENTRIES(&cfg.common),
        SB_METRICS_CONFIG_ENTRY(&cfg.metrics_listen),
        {"SECURITYBOT_INGEST_GROUP", SB_CFG_STRING, &cfg.group, 0, "securitybot-ingest", 0, 0, 0,
         "Kafka consumer group (replicas share it)"},
        {"SECURITYBOT_INGEST_BATCH_SIZE", SB_CFG_INT, &cfg.batch_size, 0, "1000", 0, 1, 10000,
         "most alerts recorded in one transaction"},
        {"SECURITYBOT_INGEST_BATCH_WAIT", SB_CFG_DURATION, &cfg.batch_wait_ms, 0, "50ms", 0, 0, 0,
         "longest wait to fill a batch once its first alert arrived"},
        {"SECURITYBOT_INGEST_DB_CONNECTIONS", SB_CFG_INT, &cfg.db_connections, 0, "1", 0, 1,
         SB_INGEST_MAX_DB, "PostgreSQL connections a batch is split over, by partition"},
    };
    size_t ntable = sizeof(table) / sizeof(table[0]);
    char errstr[512], topic[SB_TOPIC_MAX], dump[2048];
    sb_ingest_t ing = {0};
    sb_consumer_t *consumer = NULL;
    rd_kafka_message_t **msgs = NULL;
    sb_metrics_t *metrics = NULL;
    int mfailed = 0;
    int rc = 1, cli;

    cli = sb_cli_standard(argc, argv, WORKER,
                          "Consumes alerts from <prefix>alerts, validates them, records each "
                          "valid alert once in PostgreSQL and queues a prompt request for its "
                          "employee (or an escalation request, or a suppressed outcome); "
                          "invalid alerts go to <prefix>alerts.dlq with the reason.",
                          table, ntable);
    if (cli != 0)
        return cli > 0 ? 0 : 2;

    /* configure */
    if (sb_config_load(table, ntable, errstr, sizeof(errstr)) == -1 ||
        sb_log_init(WORKER, cfg.common.log_level, errstr, sizeof(errstr)) == -1 ||
        sb_kafka_conf_check(cfg.common.kafka_brokers, errstr, sizeof(errstr)) == -1) {
        fprintf(stderr, "%s: %s\n", WORKER, errstr);
        sb_config_free(table, ntable);
        return 2;
    }
    sb_signal_install();
    sb_config_dump(table, ntable, dump, sizeof(dump));
    sb_log_info("starting %s %s with %s", WORKER, SB_VERSION, dump);
    if (sb_ingest_init(&ing, cfg.common.topic_prefix, errstr, sizeof(errstr)) == -1)
        goto fail;
    ing.worker = WORKER;
    if (!(metrics =
              sb_metrics_setup(WORKER, cfg.metrics_listen, &mfailed, errstr, sizeof(errstr))) &&
        mfailed)
        goto fail;
    ing.metrics = metrics;

    /* create the clients */
    ing.progress_db =
        sb_db_connect_retry(cfg.common.database_url, WORKER, 0, errstr, sizeof(errstr));
    if (!ing.progress_db)
        goto fail;
    for (ing.ndb = 0; ing.ndb < (size_t)cfg.db_connections; ing.ndb++) {
        ing.db[ing.ndb] =
            sb_db_connect_retry(cfg.common.database_url, WORKER, 0, errstr, sizeof(errstr));
        if (!ing.db[ing.ndb])
            goto fail;
    }
    if (!(ing.producer = sb_producer_new(cfg.common.kafka_brokers, errstr, sizeof(errstr))))
        goto fail;
    {
        const char *out[] = {ing.topic_prompts, ing.topic_escalation_requests, ing.topic_outcomes,
                             ing.topic_dlq};
        sb_producer_warm(ing.producer, out, 4, 5000);
    }
    snprintf(topic, sizeof(topic), "%s", ing.topic_alerts);
    {
        const char *topics[] = {topic};
        consumer =
            sb_consumer_new(cfg.common.kafka_brokers, cfg.group, topics, 1, errstr, sizeof(errstr));
    }
    if (!consumer)
        goto fail;
    sb_metrics_lag_source(metrics, sb_metrics_consumer_lag, consumer);
    if (!(msgs = calloc((size_t)cfg.batch_size, sizeof(*msgs)))) {
        snprintf(errstr, sizeof(errstr), "out of memory");
        goto fail;
    }

    /* loop: collect a batch, make it durable, commit its offsets */
    sb_log_info("consuming %s in group %s", topic, cfg.group);
    if (consume(&ing, consumer, msgs, (size_t)cfg.batch_size, cfg.batch_wait_ms) == -1 &&
        sb_running) {
        snprintf(errstr, sizeof(errstr), "cannot go on consuming");
        goto fail;
    }
    if (sb_consumer_fatal(consumer) || sb_producer_fatal(ing.producer)) {
        snprintf(errstr, sizeof(errstr), "fatal Kafka client error");
        goto fail;
    }
    rc = 0;
    sb_log_info("shutting down");
    goto out;
fail:
    sb_log_error("%s", errstr);
out:
    /* teardown: metrics (they read the consumer), consumer close, producer
     * flush, destroy, PQfinish */
    sb_metrics_destroy(metrics);
    sb_consumer_destroy(consumer);
    sb_producer_destroy(ing.producer);
    for (size_t i = 0; i < ing.ndb; i++)
        sb_db_destroy(ing.db[i]);
    sb_db_destroy(ing.progress_db);
    free(msgs);
    sb_config_free(table, ntable);
    return rc;
}
