/* titles: moves queued alert titles into the console's search table. */

/* Every insert into alerts appends its titles to an unindexed queue (a
 * trigger, migration 0018), so the trigram index's cost, which grows with
 * the history, is not paid while an alert waits to be recorded. The move
 * itself is alert_titles_index() in the database (SECURITY DEFINER: this
 * worker needs no privilege on either table); replicas share the queue
 * (SKIP LOCKED). The console searches both tables, so the move's timing
 * changes how fast a search is, never what it finds.
 *
 * The move runs on a thread and a connection of its own: on the consume
 * loop, a move of a few thousand titles (a tenth of a second or more)
 * held up every alert that arrived meanwhile, in the tail that issue 17's
 * latency budget counts. Its pace is the loop's as before: once a second
 * while titles remain, back to back while whole batches remain, and one
 * batch every 5 s while alerts keep coming, so that a storm pays for the
 * index a little at a time and the search still catches up after it. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sb_db.h"
#include "sb_log.h"
#include "sb_signal.h"
#include "sb_time.h"
#include "titles.h"

#define IDLE_MS        1000 /* titles remain, no alert for a second */
#define BUSY_MS        5000 /* alerts keep coming; also after a failure */
#define QUIET_AFTER_US 1000000

struct sb_ingest_titles_s {
    sb_db_t *db; /* owned; used by the thread only */
    pthread_t tid;
    int started;
    atomic_int stop;
    _Atomic int64_t last_batch_us; /* monotonic; 0: none yet */
};

static const char *const INDEX_SQL = "SELECT alert_titles_index($1::int)";

/* Moves up to SB_INGEST_TITLES_BATCH titles. How many, or -1 with errstr. */
static long move_once(sb_db_t *db, char *errstr, size_t errstr_size) {
    char batch[16];
    const char *params[] = {batch};
    PGresult *res;
    long n;
    snprintf(batch, sizeof(batch), "%d", SB_INGEST_TITLES_BATCH);
    /* one reconnection attempt: a server away is retried after the 5 s
     * nap, which sees the stop flag (sb_db_ensure would wait for the server
     * while sb_running, and hold up the worker's exit on a fatal error) */
    if (sb_db_ensure_once(db, errstr, errstr_size) == -1 ||
        !(res = sb_db_query(db, INDEX_SQL, 1, params, errstr, errstr_size)))
        return -1;
    n = atol(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

/* Sleeps ms in steps of 100, so that a shutdown is seen within 100 ms. */
static void nap(sb_ingest_titles_t *t, long ms) {
    for (; ms > 0 && !atomic_load(&t->stop) && sb_running; ms -= 100)
        usleep(100 * 1000);
}

static void *run(void *arg) {
    sb_ingest_titles_t *t = arg;
    char errstr[512];
    while (!atomic_load(&t->stop) && sb_running) {
        int64_t last = atomic_load(&t->last_batch_us);
        int busy = last != 0 && sb_time_monotonic_us() - last < QUIET_AFTER_US;
        long n = move_once(t->db, errstr, sizeof(errstr));
        if (n < 0)
            sb_log_warn("title search: queued titles not indexed, retrying in 5 s: %s", errstr);
        else if (n > 0)
            sb_log_debug("title search: %ld titles indexed", n);
        nap(t, n < 0 || busy ? BUSY_MS : n == SB_INGEST_TITLES_BATCH ? 0 : IDLE_MS);
    }
    return NULL;
}

sb_ingest_titles_t *sb_ingest_titles_start(const char *database_url, char *errstr,
                                           size_t errstr_size) {
    sb_ingest_titles_t *t = calloc(1, sizeof(*t));
    if (!t) {
        snprintf(errstr, errstr_size, "out of memory");
        return NULL;
    }
    atomic_init(&t->stop, 0);
    atomic_init(&t->last_batch_us, 0);
    if (!(t->db = sb_db_connect_retry(database_url, "sb-ingest-titles", 0, errstr, errstr_size)))
        goto fail;
    if (pthread_create(&t->tid, NULL, run, t) != 0) {
        snprintf(errstr, errstr_size, "cannot start the title search thread");
        goto fail;
    }
    t->started = 1;
    return t;
fail:
    sb_ingest_titles_stop(t);
    return NULL;
}

void sb_ingest_titles_busy(sb_ingest_titles_t *t) {
    if (t)
        atomic_store(&t->last_batch_us, sb_time_monotonic_us());
}

void sb_ingest_titles_stop(sb_ingest_titles_t *t) {
    if (!t)
        return;
    atomic_store(&t->stop, 1);
    if (t->started)
        pthread_join(t->tid, NULL);
    sb_db_destroy(t->db);
    free(t);
}
