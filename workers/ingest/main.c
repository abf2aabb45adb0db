/* sb-ingest: consumes securitybot.alerts, records each valid alert once in
 * PostgreSQL and queues its prompt (or escalation, or outcome); dead-letters
 * the rest. Wiring only: the decisions live in ingest.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest.h"
#include "sb_cli.h"
#include "sb_config.h"
#include "sb_db.h"
#include "sb_kafka.h"
#include "sb_log.h"
#include "sb_signal.h"
#include "sb_time.h"

#define WORKER "sb-ingest"

typedef struct {
    sb_common_config_t common;
    char *group;
    long batch_size;
    int64_t batch_wait_ms;
    long db_connections;
} ingest_config_t;

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void destroy_messages(rd_kafka_message_t **msgs, size_t n) {
    for (size_t i = 0; i < n; i++)
        rd_kafka_message_destroy(msgs[i]);
}

/* Polls up to max messages, for at most wait_ms once the first arrived.
 * Returns how many; 0 also when a rebalance revoked partitions mid-way
 * (the collected messages are dropped uncommitted and come back). */
static size_t collect(sb_consumer_t *c, rd_kafka_message_t **msgs, size_t max, int64_t wait_ms) {
    unsigned gen = sb_consumer_generation(c);
    int64_t first = 0;
    size_t n = 0;

    while (n < max && sb_running && !sb_consumer_fatal(c)) {
        int timeout = 100;
        if (n > 0) {
            int64_t left_ms = wait_ms - (sb_time_monotonic_us() - first) / 1000;
            if (left_ms <= 0)
                break;
            timeout = left_ms < 100 ? (int)left_ms : 100;
        }
        /* many at once: one call per batch instead of one per message */
        size_t got = sb_consumer_poll_batch(c, msgs + n, max - n, timeout);
        if (sb_consumer_generation(c) != gen) {
            destroy_messages(msgs, n + got);
            return 0;
        }
        if (got == 0 && n == 0)
            return 0; /* idle: let the loop check the run flag */
        if (n == 0 && got > 0)
            first = sb_time_monotonic_us();
        n += got;
    }
    return n;
}

/* Makes sure every connection is usable (reconnecting while the server is
 * away). 0, or -1 when shutdown interrupted. */
static int ensure_connections(sb_ingest_t *ing, char *errstr, size_t errstr_size) {
    for (size_t i = 0; i < ing->ndb; i++)
        if (sb_db_ensure(ing->db[i], errstr, errstr_size) == -1)
            return -1;
    return sb_db_ensure(ing->progress_db, errstr, errstr_size);
}

static void commit(sb_consumer_t *c, const sb_ingest_batch_t *b) {
    char errstr[512];
    size_t n;
    rd_kafka_message_t *const *msgs = sb_ingest_batch_messages(b, &n);
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
    char errstr[512];
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
            sleep_ms(backoff);
            backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
        }
        produced = 1; /* from here on, every failure backs off */
        ok = ensure_connections(ing, errstr, sizeof(errstr)) == 0 &&
             sb_ingest_run(ing, b, errstr, sizeof(errstr)) == 0;
    }
    commit(c, b);
    return 0;
}

/* The loop. Two batches overlap: while PostgreSQL records batch k, Kafka
 * acknowledges batch k-1's messages and its progress and offsets are
 * committed; then batch k's messages are produced and it becomes the
 * pending one. Any failure falls back to running the batch alone. */
static int consume(sb_ingest_t *ing, sb_consumer_t *c, rd_kafka_message_t **buf, size_t max,
                   int64_t wait_ms) {
    sb_ingest_batch_t *pending = NULL, *cur;
    char errstr[512];
    int rc = 0;

    while (sb_running && !sb_consumer_fatal(c) && !sb_producer_fatal(ing->producer)) {
        int64_t t0 = sb_time_monotonic_us(), t[6];
        size_t n = collect(c, buf, max, wait_ms);
        int sent, ok;
        t[0] = sb_time_monotonic_us();
        if (n == 0) {
            if (pending) { /* idle: settle what is in flight */
                rc = settle(ing, c, pending, 1);
                sb_ingest_batch_destroy(pending);
                pending = NULL;
                if (rc == -1)
                    break;
            }
            continue;
        }
        if (!(cur = sb_ingest_batch_new(buf, n))) {
            destroy_messages(buf, n);
            sb_log_error("out of memory for a batch of %zu", n);
            rc = -1;
            break;
        }
        t[1] = sb_time_monotonic_us();
        sent = ensure_connections(ing, errstr, sizeof(errstr)) == 0;
        if (sent)
            sent = sb_ingest_send(ing, cur, errstr, sizeof(errstr)) == 0;
        t[2] = sb_time_monotonic_us();
        if (pending) {
            if (sb_ingest_confirm(ing, pending, errstr, sizeof(errstr)) == 0) {
                commit(c, pending);
            } else {
                /* the lanes must be free before pending runs alone */
                sb_ingest_wait(ing, cur, errstr, sizeof(errstr));
                sent = 0;
                rc = settle(ing, c, pending, 0);
            }
            sb_ingest_batch_destroy(pending);
            pending = NULL;
        }
        t[3] = sb_time_monotonic_us();
        ok = sb_ingest_wait(ing, cur, errstr, sizeof(errstr)) == 0 && sent && rc == 0;
        t[4] = sb_time_monotonic_us();
        ok = ok && sb_ingest_produce(ing, cur, errstr, sizeof(errstr)) == 0;
        t[5] = sb_time_monotonic_us();
        sb_log_debug("batch of %zu: collect %.1f validate %.1f send %.1f confirm-previous %.1f "
                     "wait %.1f produce %.1f ms",
                     n, (t[0] - t0) / 1e3, (t[1] - t[0]) / 1e3, (t[2] - t[1]) / 1e3,
                     (t[3] - t[2]) / 1e3, (t[4] - t[3]) / 1e3, (t[5] - t[4]) / 1e3);
        if (ok) {
            pending = cur;
            continue;
        }
        if (rc == 0)
            rc = settle(ing, c, cur, 0);
        sb_ingest_batch_destroy(cur);
        if (rc == -1)
            break;
    }
    /* SIGTERM: the batch in flight is finished, not dropped */
    if (pending) {
        if (settle(ing, c, pending, 1) == -1)
            rc = -1;
        sb_ingest_batch_destroy(pending);
    }
    return rc;
}

int main(int argc, char **argv) {
    ingest_config_t cfg = {0};
    sb_cfg_entry_t table[] = {
        SB_COMMON_CONFIG_ENTRIES(&cfg.common),
        {"SECURITYBOT_INGEST_GROUP", SB_CFG_STRING, &cfg.group, 0, "securitybot-ingest", 0, 0, 0,
         "Kafka consumer group (replicas share it)"},
        {"SECURITYBOT_INGEST_BATCH_SIZE", SB_CFG_INT, &cfg.batch_size, 0, "1000", 0, 1, 10000,
         "most alerts recorded in one transaction"},
        {"SECURITYBOT_INGEST_BATCH_WAIT", SB_CFG_DURATION, &cfg.batch_wait_ms, 0, "50ms", 0, 0, 0,
         "longest wait to fill a batch once its first alert arrived"},
        {"SECURITYBOT_INGEST_DB_CONNECTIONS", SB_CFG_INT, &cfg.db_connections, 0, "2", 0, 1,
         SB_INGEST_MAX_DB, "PostgreSQL connections a batch is split over, by partition"},
    };
    size_t ntable = sizeof(table) / sizeof(table[0]);
    char errstr[512], topic[SB_TOPIC_MAX], dump[2048];
    sb_ingest_t ing = {0};
    sb_consumer_t *consumer = NULL;
    rd_kafka_message_t **msgs = NULL;
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
    if (!(msgs = calloc((size_t)cfg.batch_size, sizeof(*msgs)))) {
        snprintf(errstr, sizeof(errstr), "out of memory");
        goto fail;
    }

    /* loop: collect a batch, make it durable, commit its offsets */
    sb_log_info("consuming %s in group %s", topic, cfg.group);
    consume(&ing, consumer, msgs, (size_t)cfg.batch_size, cfg.batch_wait_ms);
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
    /* teardown: consumer close, producer flush, destroy, PQfinish */
    sb_consumer_destroy(consumer);
    sb_producer_destroy(ing.producer);
    for (size_t i = 0; i < ing.ndb; i++)
        sb_db_destroy(ing.db[i]);
    sb_db_destroy(ing.progress_db);
    free(msgs);
    sb_config_free(table, ntable);
    return rc;
}
