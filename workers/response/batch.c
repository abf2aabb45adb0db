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
 * responses.event_id turns every replayed answer into a no-op.
 *
 * The savepoints cost a round trip per answer and are almost never
 * needed, so a batch first runs without them (the fast pass); when an
 * answer fails there, the whole transaction is rolled back (nothing of the
 * pass is kept, no reply, no offset) and the batch runs again with a
 * savepoint per answer, which applies the rules above. What the rolled
 * back pass produced (escalation requests) is produced again by the redo
 * with the same message_id, which consumers absorb; its log lines about
 * the answers before the failure appear twice.
 *
 * Before BEGIN, the senders of the batch are read at once (one query, see
 * read_senders) rather than twice per answer. */
#include "batch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_consumer.h"
#include "sb_publish.h"
#include "sb_schema.h"
#include "sb_signal.h"
#include "sb_time.h"
#include "turn.h"

#define POLL_MS 100

typedef struct {
    rd_kafka_message_t *msg; /* borrowed from the poll */
    cJSON *ev;               /* owned; NULL: failed the schema (logged, committed) */
    sb_turn_t t;             /* with applied: its effects are in the transaction */
    int applied;
    sb_turn_pre_t pre; /* res NULL: its sender is read when it runs */
} item_t;

/* A redo: the fast pass failed, run the batch again with savepoints. */
#define REDO -2

/* Polls a batch: the first message waited for, the rest already there. */
static size_t poll(sb_consumer_t *c, rd_kafka_message_t **msgs, size_t max) {
    size_t n = sb_consumer_poll_batch(c, msgs, 1, POLL_MS);
    return n ? n + sb_consumer_poll_batch(c, msgs + 1, max - 1, 0) : 0;
}

/* Frees the turns of items [0, n) (their events stay). */
static void forget(item_t **items, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (items[i]->applied)
            sb_turn_free(&items[i]->t);
        items[i]->applied = 0;
    }
}

/* One answer, behind its savepoint when savepoint is set. 1 applied, 0
 * refused for good (rolled back to its savepoint, logged, skipped), -1
 * the batch stops before it (errstr; *lost: its transaction is gone too;
 * without a savepoint, the caller rolls the transaction back whole). */
static int apply(sb_response_t *r, item_t *it, int savepoint, int *lost, char *errstr,
                 size_t errstr_size) {
    char why[512];
    sb_db_class_t cls;
    if (savepoint && sb_db_exec(r->db, "SAVEPOINT answer", 0, NULL, errstr, errstr_size) == -1) {
        *lost = 1;
        return -1;
    }
    if (sb_response_apply(r, it->ev, it->pre.res ? &it->pre : NULL, &it->t, errstr, errstr_size) ==
        0) {
        it->applied = 1;
        return 1;
    }
    sb_turn_free(&it->t);
    if (!savepoint)
        return -1;
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
static void after_commit(sb_response_t *r, item_t **items, size_t n) {
    char why[512];
    const char *woken[SB_RESPONSE_BATCH_LIMIT];
    size_t due = 0, nwoken = 0;
    for (size_t i = 0; i < n; i++)
        if (items[i]->applied && items[i]->t.outcome_due) {
            items[i]->t.outcome_due = 0;
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
        if (!items[i]->applied)
            continue;
        if (items[i]->t.wake) /* all at once below */
            woken[nwoken++] = items[i]->t.employee;
        items[i]->t.wake = 0;
        sb_turn_after_commit(&items[i]->t);
    }
    sb_response_wake(r, woken, nwoken);
}

/* The senders' reads for items [0, n), at once, before the transaction
 * (sb_response_senders; owned result, or NULL: each answer reads its own).
 * An answer of a chat user changes only what is read for that chat user
 * (their employee's alerts, guarded changes, failed second factors and
 * opt-out: a "yes" opens a code request, a wrong code counts towards the
 * lock), never another's. So the read is taken by the first answer of
 * each chat user in the batch, which sees what it would have read itself;
 * their later answers read again when they run, after the earlier ones'
 * effects. Only other processes' commits in between (Duo's poller, the
 * escalation timers) can differ, by the few milliseconds of a batch, as
 * they can between any two statements. After a failed fast pass, rolled
 * back whole, the reads still hold for the redo. */
static PGresult *read_senders(sb_response_t *r, item_t **items, size_t n) {
    const char *users[SB_RESPONSE_BATCH_LIMIT];
    size_t first[SB_RESPONSE_BATCH_LIMIT], m = 0;
    char errstr[512];
    PGresult *res;
    for (size_t i = 0; i < n; i++) {
        const cJSON *u =
            items[i]->ev ? cJSON_GetObjectItemCaseSensitive(items[i]->ev, "chat_user_id") : NULL;
        size_t j = 0;
        items[i]->pre = (sb_turn_pre_t){0};
        if (!cJSON_IsString(u))
            continue;
        while (j < m && strcmp(users[j], u->valuestring) != 0)
            j++;
        if (j == m) {
            users[m] = u->valuestring;
            first[m++] = i;
        }
    }
    if (m == 0)
        return NULL;
    if (!(res = sb_response_senders(r, users, m, errstr, sizeof(errstr)))) {
        sb_log_warn("%s (each answer reads its sender)", errstr);
        return NULL;
    }
    for (size_t j = 0; j < m; j++)
        items[first[j]]->pre = (sb_turn_pre_t){.res = res, .row = (int)j};
    return res;
}

/* One transaction over items [0, n), with a savepoint per answer or
 * without (the fast pass): how many items it settled from the front, -1
 * with errstr when none (nothing committed; retry), or REDO when the fast
 * pass failed (rolled back whole). */
static int pass(sb_response_t *r, item_t **items, size_t n, int savepoints, char *errstr,
                size_t errstr_size) {
    size_t k = n;
    int produced = 0, lost = 0, rc;
    if (sb_db_begin(r->db, errstr, errstr_size) == -1)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!items[i]->ev)
            continue;
        if ((rc = apply(r, items[i], savepoints, &lost, errstr, errstr_size)) == -1) {
            k = i;
            break;
        }
        produced |= rc == 1 && items[i]->t.produced;
    }
    if (!savepoints && k < n) {
        sb_db_rollback(r->db);
        forget(items, n);
        if (PQstatus(sb_db_conn(r->db)) != CONNECTION_OK)
            return -1; /* as a lost savepoint: the whole batch is retried */
        sb_log_info("answer %zu of %zu failed: the batch runs again with a savepoint per answer",
                    k + 1, n);
        return REDO;
    }
    /* what the batch published is in Kafka before its records commit */
    if (lost || k == 0 ||
        sb_publish_commit(r->producer, produced, r->db, errstr, errstr_size) == -1) {
        sb_db_rollback(r->db);
        forget(items, n);
        return -1;
    }
    forget(items + k, n - k);
    return (int)k;
}

/* One lane's attempt at items [0, n): the fast pass, then the redo with
 * savepoints when it failed. As pass. */
static int attempt(sb_response_t *r, item_t **items, size_t n, char *errstr, size_t errstr_size) {
    PGresult *senders;
    int k;
    if (sb_db_ensure(r->db, errstr, errstr_size) == -1)
        return -1;
    senders = read_senders(r, items, n);
    if ((k = pass(r, items, n, 0, errstr, errstr_size)) == REDO)
        k = pass(r, items, n, 1, errstr, errstr_size);
    for (size_t i = 0; i < n; i++)
        items[i]->pre = (sb_turn_pre_t){0};
    PQclear(senders);
    return k;
}

/* A lane: a share of the batch's partitions, on a connection of its own. */
typedef struct {
    sb_response_t r;  /* the worker's, with its own db (lane 0: the worker's own) */
    item_t **items;   /* this batch's, in poll order (SB_RESPONSE_BATCH_LIMIT) */
    size_t n, from;   /* [0, from) settled */
    int k;            /* the last attempt's answer */
    char errstr[512]; /* its failure */
    pthread_t thread;
    int started;
} lane_t;

static void *lane_attempt(void *arg) {
    lane_t *l = arg;
    l->k = attempt(&l->r, l->items + l->from, l->n - l->from, l->errstr, sizeof(l->errstr));
    return NULL;
}

/* Each lane with answers left runs one attempt, lane 0 on this thread,
 * the others at the same time on threads of their own. */
static void run_lanes(lane_t *lanes, size_t nlanes) {
    for (size_t l = 1; l < nlanes; l++) {
        lanes[l].started = 0;
        lanes[l].k = 0;
        if (lanes[l].from < lanes[l].n &&
            pthread_create(&lanes[l].thread, NULL, lane_attempt, &lanes[l]) == 0)
            lanes[l].started = 1;
        else if (lanes[l].from < lanes[l].n)
            lane_attempt(&lanes[l]); /* no thread: one after the other */
    }
    lanes[0].k = 0;
    if (lanes[0].from < lanes[0].n)
        lane_attempt(&lanes[0]);
    for (size_t l = 1; l < nlanes; l++)
        if (lanes[l].started)
            pthread_join(lanes[l].thread, NULL);
}

/* Spreads the batch over the lanes, a partition to one lane (so each
 * partition's answers, each employee's, stay in order on one connection),
 * the partitions dealt in turn as they first appear. */
static void deal(lane_t *lanes, size_t nlanes, item_t *items, size_t n) {
    int32_t seen[SB_RESPONSE_BATCH_LIMIT];
    size_t nseen = 0;
    for (size_t l = 0; l < nlanes; l++)
        lanes[l].n = lanes[l].from = 0;
    for (size_t i = 0; i < n; i++) {
        size_t p = 0;
        while (p < nseen && seen[p] != items[i].msg->partition)
            p++;
        if (p == nseen)
            seen[nseen++] = items[i].msg->partition;
        lane_t *l = &lanes[p % nlanes];
        l->items[l->n++] = &items[i];
    }
}

/* What the lanes settled in their last attempt: after COMMIT's work done,
 * their offsets committed, the lanes moved on. 0 when a lane is left with
 * answers to retry (errstr: the first lane's failure). */
static int settle(sb_response_t *r, sb_worker_t *w, lane_t *lanes, size_t nlanes, size_t *done,
                  char *errstr, size_t errstr_size) {
    item_t *settled[SB_RESPONSE_BATCH_LIMIT];
    rd_kafka_message_t *msgs[SB_RESPONSE_BATCH_LIMIT];
    size_t n = 0;
    int left = 0;
    for (size_t l = 0; l < nlanes; l++) {
        for (int i = 0; i < lanes[l].k; i++)
            settled[n++] = lanes[l].items[lanes[l].from + (size_t)i];
        if (lanes[l].k > 0)
            lanes[l].from += (size_t)lanes[l].k;
        else if (lanes[l].from < lanes[l].n && !left++)
            snprintf(errstr, errstr_size, "%s", lanes[l].errstr);
        lanes[l].k = 0;
    }
    if (n) {
        after_commit(r, settled, n);
        forget(settled, n);
        for (size_t i = 0; i < n; i++)
            msgs[i] = settled[i]->msg;
        /* A failed commit only means a redelivery, which the dedupe absorbs. */
        if (sb_consumer_commit(w->consumer, msgs, n, sb_running ? 1 : 0, errstr, errstr_size) == -1)
            sb_log_warn("%s (the responses will be redelivered)", errstr);
    }
    *done += n;
    return left == 0;
}

/* One batch until every answer's effect is durable (or it was skipped),
 * then the offsets of what is settled. -1 when shutdown interrupted the
 * retries: what is not committed comes back. */
static int handle(sb_response_t *r, sb_worker_t *w, lane_t *lanes, size_t nlanes, item_t *items,
                  size_t n) {
    char errstr[512];
    long backoff = SB_WORKER_BACKOFF_MIN_MS;
    int64_t t0 = sb_time_monotonic_us();
    size_t done = 0;
    int rc = 0;

    for (size_t i = 0; i < n; i++) {
        rd_kafka_message_t *m = items[i].msg;
        if (sb_schema_parse("response", m->payload ? m->payload : "", m->payload ? m->len : 0,
                            &items[i].ev, errstr, sizeof(errstr)) == -1) {
            sb_worker_log_message(SB_LOG_WARN, m, errstr); /* the gateway writes only valid ones */
            items[i].ev = NULL;
        }
    }
    sb_log_debug("%zu response events polled", n);
    deal(lanes, nlanes, items, n);
    for (;;) {
        run_lanes(lanes, nlanes);
        size_t before = done;
        if (settle(r, w, lanes, nlanes, &done, errstr, sizeof(errstr)))
            break;
        if (done > before)
            backoff = SB_WORKER_BACKOFF_MIN_MS;
        /* after a fatal producer error no flush succeeds: the process exits */
        if (!sb_running || sb_producer_fatal(w->producer)) {
            sb_log_warn("shutting down; %zu responses of the batch will be redelivered", n - done);
            rc = -1;
            break;
        }
        backoff = sb_worker_retry_wait(w->metrics, errstr, backoff);
    }
    sb_metrics_count(w->metrics, SB_M_CONSUMED, w->topic, (double)done);
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

static void lanes_destroy(lane_t *lanes, size_t nlanes) {
    for (size_t l = 0; lanes && l < nlanes; l++) {
        if (l > 0) {
            sb_db_destroy(lanes[l].r.db);
            sb_producer_destroy(lanes[l].r.producer);
        }
        free(lanes[l].items);
    }
    free(lanes);
}

/* Lane l > 0's own connection and producer handle: its COMMIT waits for
 * its messages' delivery reports, and only its own. 0 or -1 (errstr). */
static int lane_open(lane_t *lane, const char *database_url, char *errstr, size_t errstr_size) {
    sb_producer_t *shared = lane->r.producer;
    lane->r.db = NULL;
    lane->r.producer = NULL;
    if (!(lane->r.producer = sb_producer_share(shared, errstr, errstr_size)))
        return -1;
    lane->r.db = sb_db_connect_retry(database_url, "sb-response-lane", 0, errstr, errstr_size);
    return lane->r.db ? 0 : -1;
}

/* The lanes: lane 0 the worker's connection, the others their own. */
static lane_t *lanes_new(const sb_response_t *r, size_t nlanes, const char *database_url) {
    char errstr[512];
    lane_t *lanes = calloc(nlanes, sizeof(*lanes));
    if (!lanes)
        return NULL;
    for (size_t l = 0; l < nlanes; l++) {
        lanes[l].r = *r;
        if (l > 0 && lane_open(&lanes[l], database_url, errstr, sizeof(errstr)) == -1) {
            sb_log_error("lane %zu: %s", l, errstr);
            goto fail;
        }
        if (!(lanes[l].items = calloc(SB_RESPONSE_BATCH_LIMIT, sizeof(item_t *))))
            goto fail;
        /* the same few statements for every answer: parsed and planned once */
        sb_db_set_autoprepare(lanes[l].r.db, 1);
    }
    return lanes;
fail:
    lanes_destroy(lanes, nlanes);
    return NULL;
}

int sb_response_run(sb_response_t *r, sb_worker_t *w, const sb_response_batching_t *b) {
    rd_kafka_message_t *msgs[SB_RESPONSE_BATCH_LIMIT];
    size_t max = b->batch_max < 1                         ? 1
                 : b->batch_max > SB_RESPONSE_BATCH_LIMIT ? SB_RESPONSE_BATCH_LIMIT
                                                          : (size_t)b->batch_max;
    size_t nlanes = b->lanes < 1 ? 1 : (size_t)b->lanes;
    item_t *items = calloc(max, sizeof(*items));
    lane_t *lanes = items ? lanes_new(r, nlanes, b->database_url) : NULL;
    int64_t last_sweep = 0;
    if (!lanes) {
        free(items);
        return -1;
    }
    while (sb_running && !sb_consumer_fatal(w->consumer) && !sb_producer_fatal(w->producer)) {
        sb_metrics_beat(w->metrics);
        size_t n = poll(w->consumer, msgs, max);
        for (size_t i = 0; i < n; i++)
            items[i] = (item_t){.msg = msgs[i]};
        int rc = n ? handle(r, w, lanes, nlanes, items, n) : 0;
        for (size_t i = 0; i < n; i++)
            rd_kafka_message_destroy(msgs[i]);
        if (rc == -1)
            break;
        if (sb_running && (sb_time_monotonic_us() - last_sweep) / 1000 >= b->sweep_every_ms) {
            sweep(r);
            last_sweep = sb_time_monotonic_us();
        }
    }
    lanes_destroy(lanes, nlanes);
    free(items);
    return 0;
}
