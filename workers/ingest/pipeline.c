/* pipeline: sb-ingest's consume loop, three batches in flight at once. */

/* Batches are collected from Kafka, recorded in PostgreSQL, their messages
 * produced, their offsets committed. */
#include <stdio.h>
#include <stdlib.h>

#include "pipeline.h"
#include "sb_log.h"
#include "sb_signal.h"
#include "sb_time.h"
#include "titles.h"

/* A batch also stops growing at this many payload bytes, so that the
 * largest batch (10000 alerts of up to 64 KiB) cannot become one
 * half-gigabyte statement. */
#define MAX_BATCH_BYTES (32u << 20)
#define POLL_CHUNK      256

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

/* settle's answers besides 0: the batch was left uncommitted (it comes
 * back to whichever member owns its partitions next). */
#define SETTLE_FATAL -1 /* the Kafka client failed for good: exit non-zero */
#define SETTLE_LEFT  1  /* SIGTERM came while the broker or database was away */

/* Runs batch b alone until its effects are durable, backing off while the
 * database or the broker is away, then commits its offsets. With
 * produced set, b's messages are already queued and only need confirming
 * first. Returns 0, SETTLE_LEFT or SETTLE_FATAL. A batch left behind is
 * not lost, but no later batch may be committed after it: a later offset
 * on the same partition would cover it (see finish). */
static int settle(sb_ingest_t *ing, sb_consumer_t *c, sb_ingest_batch_t *b, int produced) {
    char errstr[512] = "shutting down before it could run";
    long backoff = 100;
    size_t n;
    int ok = produced && sb_ingest_confirm(ing, b, errstr, sizeof(errstr)) == 0;

    sb_ingest_batch_messages(b, &n);
    while (!ok) {
        if (sb_producer_fatal(ing->producer)) {
            sb_log_error("batch of %zu not finished: %s", n, errstr);
            return SETTLE_FATAL;
        }
        if (!sb_running) {
            sb_log_warn("shutting down with a batch of %zu unfinished (%s): its offsets are "
                        "not committed, so it is consumed again",
                        n, errstr);
            return SETTLE_LEFT;
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

/* Shutdown (SIGTERM): what is in flight is finished, not dropped. The
 * lanes are drained first; pending's messages were produced before
 * inflight's, so it is settled first, and once one batch is left (rc, the
 * loop's last settle, included), the later one is left too: committing
 * its offsets would skip the earlier batch's messages for good. Destroys
 * both. Returns 0, SETTLE_LEFT or SETTLE_FATAL. */
static int finish(sb_ingest_t *ing, sb_consumer_t *c, sb_ingest_batch_t *pending,
                  sb_ingest_batch_t *inflight, int inflight_sent, int rc) {
    char errstr[512];
    if (inflight && !(sb_ingest_wait(ing, inflight, errstr, sizeof(errstr)) == 0 && inflight_sent))
        inflight_sent = 0;
    if (pending) {
        if (rc == 0)
            rc = settle(ing, c, pending, 1);
        sb_ingest_batch_destroy(pending);
    }
    if (inflight) {
        if (rc == 0) {
            int produced =
                inflight_sent && sb_ingest_produce(ing, inflight, errstr, sizeof(errstr)) == 0;
            rc = settle(ing, c, inflight, produced);
        } else if (rc == SETTLE_LEFT) {
            sb_log_warn("shutting down: a later batch is left uncommitted with it");
        }
        sb_ingest_batch_destroy(inflight);
    }
    return rc;
}

/* The loop: three batches overlap. While PostgreSQL records `inflight`,
 * Kafka acknowledges `pending` (produced last round), whose progress and
 * offsets are then committed, and the next batch is collected, validated
 * and prepared (its employees resolved, its COPY rows built); once `inflight` is recorded, the next
 * batch's statements go out before `inflight`'s messages are produced, so PostgreSQL is kept busy.
 * Any failure falls back to running that batch alone until it is durable. */
int sb_ingest_consume(sb_ingest_t *ing, sb_consumer_t *c, rd_kafka_message_t **buf, size_t max,
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
                    if (rc != 0)
                        break;
                }
                continue;
            }
            sb_ingest_titles_busy(ing->titles);
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
            if (rc != 0)
                break;
        }
        /* ...and take whatever the consumer already has, without waiting,
         * and resolve its employees on the progress connection (free now)
         * so that its send is only the rows */
        next = sb_running ? next_batch(c, buf, max, 0, 0, &oom) : NULL;
        next_sent = 0;
        if (next) {
            sb_ingest_titles_busy(ing->titles);
            sb_ingest_prepare(ing, next);
        }

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
        if (rc != 0)
            break;
    }
    /* a batch left at shutdown is consumed again: a clean exit, not an error */
    rc = finish(ing, c, pending, inflight, inflight_sent, rc);
    return rc != SETTLE_FATAL && !oom ? 0 : -1;
}
