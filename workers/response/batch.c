/* batch: sb-response's consume loop: the answers of one poll in one transaction. */

/* A poll at a time: the first event is waited for alone (a quiet answer
 * is not held for others), then whatever the consumer already holds joins
 * it, up to the batch size. Each answer runs behind its own SAVEPOINT, in
 * the order polled: one PostgreSQL refuses (a permanent error) is rolled
 * back alone, logged with its position and skipped, as the
 * message-at-a-time loop did; one that may succeed later (a lost
 * connection, a conflict) ends the batch before it: the answers before it
 * commit, it and those after it are retried. What the committed answers
 * produced is acknowledged by Kafka before COMMIT (sb_publish_commit), the
 * outcomes they made due are published after it, then the replies and
 * wake-ups, then the offsets: a crash anywhere replays the batch, and
 * responses.event_id turns every replayed answer into a no-op. */
#include "batch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_consumer.h"
#include "sb_publish.h"
#include "sb_schema.h"
#include "sb_signal.h"
#include "sb_time.h"
#include "turn.h"

#define POLL_MS     100
#define BACKOFF_MIN 100  /* ms */
#define BACKOFF_MAX 5000 /* ms */

typedef struct {
    rd_kafka_message_t *msg; /* borrowed from the poll */
    cJSON *ev;               /* owned; NULL: failed the schema (logged, committed) */
    sb_turn_t t;             /* with applied: its effects are in the transaction */
    int applied;
} item_t;

/* Polls a batch: the first message waited for, the rest already there. */
static size_t poll(sb_consumer_t *c, rd_kafka_message_t **msgs, size_t max) {
    size_t n = sb_consumer_poll_batch(c, msgs, 1, POLL_MS);
    return n ? n + sb_consumer_poll_batch(c, msgs + 1, max - 1, 0) : 0;
}

/* Frees the turns of items [0, n) (their events stay). */
static void forget(item_t *items, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (items[i].applied)
            sb_turn_free(&items[i].t);
        items[i].applied = 0;
    }
}

/* One answer behind its savepoint. 1 applied, 0 refused for good (rolled
 * back to its savepoint, logged, skipped), -1 the batch stops before it
 * (errstr; *lost: its transaction is gone too). */
static int apply(sb_response_t *r, item_t *it, int *lost, char *errstr, size_t errstr_size) {
    char why[512];
    sb_db_class_t cls;
    if (sb_db_exec(r->db, "SAVEPOINT answer", 0, NULL, errstr, errstr_size) == -1) {
        *lost = 1;
        return -1;
    }
    if (sb_response_apply(r, it->ev, &it->t, errstr, errstr_size) == 0) {
        it->applied = 1;
        return 1;
    }
    sb_turn_free(&it->t);
    cls = sb_db_last_class(r->db);
    if (sb_db_exec(r->db, "ROLLBACK TO SAVEPOINT answer", 0, NULL, why, sizeof(why)) == -1) {
        *lost = 1;
        return -1;
    }
    if (cls != SB_DB_PERMANENT)
        return -1;
    sb_worker_log_message(SB_LOG_ERROR, it->msg, errstr);
    return 0;
}

/* After COMMIT: the outcomes the batch made due, from the committed rows
 * (a failure is the sweep's to retry), then each answer's replies in
 * order, then the wake-ups of sb-prompt (one query). */
static void after_commit(sb_response_t *r, item_t *items, size_t n) {
    char why[512];
    const char *woken[SB_RESPONSE_BATCH_LIMIT];
    size_t due = 0, nwoken = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i].applied && items[i].t.outcome_due) {
            items[i].t.outcome_due = 0;
            due++;
        }
    /* a sweep publishes at most sweep_limit: as many as the batch needs */
    for (size_t rounds = due / (size_t)r->sweep_limit + 1; due > 0 && rounds > 0; rounds--) {
        int got = sb_response_sweep(r, why, sizeof(why));
        if (got == -1)
            sb_log_warn("outcome not published yet: %s (the sweep retries)", why);
        if (got < r->sweep_limit)
            break;
    }
    for (size_t i = 0; i < n; i++) {
        if (!items[i].applied)
            continue;
        if (items[i].t.wake) /* all at once below */
            woken[nwoken++] = items[i].t.employee;
        items[i].t.wake = 0;
        sb_turn_after_commit(&items[i].t);
    }
    sb_response_wake(r, woken, nwoken);
}

/* One transaction over items [0, n): how many items it settled from the
 * front (applied, skipped or invalid: their offsets may be committed), or
 * -1 with errstr when none (nothing committed; retry). */
static int attempt(sb_response_t *r, item_t *items, size_t n, char *errstr, size_t errstr_size) {
    size_t k = n;
    int produced = 0, lost = 0, rc;
    if (sb_db_ensure(r->db, errstr, errstr_size) == -1 ||
        sb_db_begin(r->db, errstr, errstr_size) == -1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!items[i].ev)
            continue;
        if ((rc = apply(r, &items[i], &lost, errstr, errstr_size)) == -1) {
            k = i;
            break;
        }
        produced |= rc == 1 && items[i].t.produced;
    }
    /* what the batch published is in Kafka before its records commit */
    if (lost || k == 0 ||
        sb_publish_commit(r->producer, produced, r->db, errstr, errstr_size) == -1) {
        sb_db_rollback(r->db);
        forget(items, n);
        return -1;
    }
    after_commit(r, items, k);
    forget(items, n);
    return (int)k;
}

/* One batch until every answer's effect is durable (or it was skipped),
 * then the offsets of what is settled. -1 when shutdown interrupted the
 * retries: what is not committed comes back. */
static int handle(sb_response_t *r, sb_worker_t *w, item_t *items, size_t n) {
    char errstr[512];
    long backoff = BACKOFF_MIN;
    int64_t t0 = sb_time_monotonic_us();
    size_t from = 0;
    int k, rc = 0;

    for (size_t i = 0; i < n; i++) {
        rd_kafka_message_t *m = items[i].msg;
        if (sb_schema_parse("response", m->payload ? m->payload : "", m->payload ? m->len : 0,
                            &items[i].ev, errstr, sizeof(errstr)) == -1) {
            sb_worker_log_message(SB_LOG_WARN, m, errstr); /* the gateway writes only valid ones */
            items[i].ev = NULL;
        }
    }
    sb_log_debug("%zu response events polled", n);
    while (from < n) {
        if ((k = attempt(r, items + from, n - from, errstr, sizeof(errstr))) > 0) {
            rd_kafka_message_t *msgs[SB_RESPONSE_BATCH_LIMIT];
            for (int i = 0; i < k; i++)
                msgs[i] = items[from + (size_t)i].msg;
            /* A failed commit only means a redelivery, which the dedupe absorbs. */
            if (sb_consumer_commit(w->consumer, msgs, (size_t)k, sb_running ? 1 : 0, errstr,
                                   sizeof(errstr)) == -1)
                sb_log_warn("%s (the responses will be redelivered)", errstr);
            from += (size_t)k;
            backoff = BACKOFF_MIN;
            continue;
        }
        if (!sb_running) {
            sb_worker_log_message(SB_LOG_WARN, items[from].msg,
                                  "shutting down; the responses from here on will be redelivered");
            rc = -1;
            break;
        }
        sb_metrics_count(w->metrics, SB_M_FAILED, "retry", 1);
        sb_log_warn("%s; retrying in %ld ms", errstr, backoff);
        sb_time_sleep_ms(backoff);
        backoff = backoff * 2 > BACKOFF_MAX ? BACKOFF_MAX : backoff * 2;
    }
    sb_metrics_count(w->metrics, SB_M_CONSUMED, w->topic, (double)from);
    sb_metrics_observe(w->metrics, (double)(sb_time_monotonic_us() - t0) / 1e6);
    for (size_t i = 0; i < n; i++) {
        cJSON_Delete(items[i].ev);
        items[i].ev = NULL;
    }
    return rc;
}

/* One sweep; a failure is the next one's to retry. */
static void sweep(sb_response_t *r) {
    char errstr[512];
    if (sb_response_sweep(r, errstr, sizeof(errstr)) == -1 && sb_running)
        sb_log_warn("outcome sweep: %s (the next one retries)", errstr);
}

int sb_response_run(sb_response_t *r, sb_worker_t *w, int batch_max, int64_t sweep_every_ms) {
    rd_kafka_message_t *msgs[SB_RESPONSE_BATCH_LIMIT];
    size_t max = batch_max < 1                         ? 1
                 : batch_max > SB_RESPONSE_BATCH_LIMIT ? SB_RESPONSE_BATCH_LIMIT
                                                       : (size_t)batch_max;
    item_t *items = calloc(max, sizeof(*items));
    int64_t last_sweep = 0;
    if (!items) {
        sb_log_error("out of memory for a batch of %zu", max);
        return -1;
    }
    while (sb_running && !sb_consumer_fatal(w->consumer) && !sb_producer_fatal(w->producer)) {
        sb_metrics_beat(w->metrics);
        size_t n = poll(w->consumer, msgs, max);
        for (size_t i = 0; i < n; i++)
            items[i] = (item_t){.msg = msgs[i]};
        int rc = n ? handle(r, w, items, n) : 0;
        for (size_t i = 0; i < n; i++)
            rd_kafka_message_destroy(msgs[i]);
        if (rc == -1)
            break;
        if (sb_running && (sb_time_monotonic_us() - last_sweep) / 1000 >= sweep_every_ms) {
            sweep(r);
            last_sweep = sb_time_monotonic_us();
        }
    }
    free(items);
    return 0;
}
