/* sb-ingest: its configuration and the hooks the worker skeleton calls. */

/* The decisions live in ingest.c, record.c (the recording statement),
 * copy.c (its COPY fast path) and messages.c, the batch loop in
 * pipeline.c. */
#include <stdio.h>
#include <stdlib.h>

#include "ingest.h"
#include "pipeline.h"
#include "sb_severity.h"
#include "sb_signal.h"
#include "sb_worker.h"
#include "titles.h"

/* What --help says the worker does. */
static const char summary[] =
    "Consumes alerts from <prefix>alerts, validates them, records each valid alert "
    "once in PostgreSQL and queues a prompt request for its employee (or an "
    "escalation request, or a suppressed outcome); invalid alerts go to "
    "<prefix>alerts.dlq with the reason.";

typedef struct {
    sb_worker_config_t w;
    long batch_size, db_connections;
    int64_t batch_wait_ms;
    char *backoff_max_severity;
    sb_ingest_t ing;
    rd_kafka_message_t **msgs; /* the batch being collected */
} ingest_main_t;

static int configure(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    ingest_main_t *m = ctx;
    m->ing.worker = w->name;
    if (sb_severity_rank(m->backoff_max_severity) < 0) {
        snprintf(errstr, errstr_size,
                 "SECURITYBOT_CONFIRM_BACKOFF_MAX_SEVERITY must be low, medium, high or critical");
        return -1;
    }
    m->ing.confirm_backoff_max_severity = m->backoff_max_severity;
    return sb_ingest_init(&m->ing, w->prefix, errstr, errstr_size);
}

/* The skeleton's connection records progress; the batches are split over
 * db_connections more; the title search's mover has one of its own. */
static int start(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    ingest_main_t *m = ctx;
    sb_ingest_t *ing = &m->ing;
    ing->progress_db = w->db, ing->producer = w->producer, ing->metrics = w->metrics;
    for (ing->ndb = 0; ing->ndb < (size_t)m->db_connections; ing->ndb++)
        if (!(ing->db[ing->ndb] =
                  sb_db_connect_retry(m->w.common.database_url, w->name, 0, errstr, errstr_size)))
            return -1;
    if (!(ing->titles = sb_ingest_titles_start(m->w.common.database_url, errstr, errstr_size)))
        return -1;
    if (!(m->msgs = calloc((size_t)m->batch_size, sizeof(*m->msgs)))) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    return 0;
}

static int run(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    ingest_main_t *m = ctx;
    if (sb_ingest_consume(&m->ing, w->consumer, m->msgs, (size_t)m->batch_size, m->batch_wait_ms) ==
            -1 &&
        sb_running) {
        snprintf(errstr, errstr_size, "cannot go on consuming");
        return -1;
    }
    return 0;
}

static void stop(void *ctx) {
    ingest_main_t *m = ctx;
    sb_ingest_titles_stop(m->ing.titles);
    for (size_t i = 0; i < m->ing.ndb; i++)
        sb_db_destroy(m->ing.db[i]);
    free(m->msgs);
}

int main(int argc, char **argv) {
    ingest_main_t m = {0};
    /* one entry a line: a table that reads on its own */
    /* clang-format off */
    const sb_cfg_entry_t table[] = {
        SB_WORKER_CONFIG_ENTRIES(&m.w, "SECURITYBOT_INGEST_GROUP", "securitybot-ingest"),
        SB_CFG_INT("SECURITYBOT_INGEST_BATCH_SIZE", &m.batch_size, "1000", 1, 10000, "most alerts recorded in one transaction"),
        SB_CFG_DURATION("SECURITYBOT_INGEST_BATCH_WAIT", &m.batch_wait_ms, "0", "longest wait to fill a batch once its first alert arrived (0: a batch is what the consumer already holds; under load it grows while PostgreSQL records the one before)"),
        SB_CFG_DURATION("SECURITYBOT_CONFIRM_BACKOFF", &m.ing.confirm_backoff_ms, "0", "after a confirmation with a passed second factor, later alerts of the same employee, rule and title within this period are confirmed_recently, unasked (0: off)"),
        SB_CFG_STR("SECURITYBOT_CONFIRM_BACKOFF_MAX_SEVERITY", &m.backoff_max_severity, "medium", "the highest severity the confirmation backoff applies to"),
        SB_CFG_BOOL("SECURITYBOT_INGEST_COPY", &m.ing.copy, "true", "a batch of fresh alerts with no ignore rule or recent confirmation to apply is loaded with COPY after one query resolves its employees (false: every batch goes through the one recording statement)"),
        SB_CFG_INT("SECURITYBOT_INGEST_DB_CONNECTIONS", &m.db_connections, "1", 1, SB_INGEST_MAX_DB, "PostgreSQL connections a batch is split over, by partition"),
    };
    static const char *const produces[] = {SB_TOPIC_PROMPTS, SB_TOPIC_ESCALATION_REQUESTS,
                                           SB_TOPIC_OUTCOMES, SB_TOPIC_ALERTS_DLQ, NULL};
    const sb_worker_spec_t spec = {
        .name = "sb-ingest", .summary = summary, SB_WORKER_TABLE(table), .settings = &m.w,
        .db = 1, .consumes = SB_TOPIC_ALERTS, .produces = produces,
        .configure = configure, .start = start, .run = run, .stop = stop, .ctx = &m,
    };
    /* clang-format on */
    return sb_worker_main(&spec, argc, argv);
}
