/* ingest: sb-ingest's decisions for one batch of alerts: its phases, messages, progress. */

/* A batch is recorded by ONE SQL statement (one implicit transaction): the
 * alerts (ON CONFLICT DO NOTHING on the alert id) and the dead letters. The
 * statement returns every alert whose downstream message may not be in
 * Kafka yet: the new ones, and those a crashed predecessor created from a
 * message of this batch but never flushed (its message lies at or above
 * the partition's ingest_progress.next_offset). Once Kafka acknowledged the
 * messages, ingest_progress moves past the batch (one row per partition);
 * only then are offsets committed. A redelivered batch therefore adds no
 * row and, unless a crash fell between flush and progress update, no
 * message; when it does, the message repeats with the same message_id. */
#include "ingest.h"
#include "copy.h"
#include "messages.h"
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_log.h"
#include "sb_signal.h"
#include "sb_time.h"

#define DLQ_KEY_MAX SB_ALERT_MAX_BYTES /* the most of an input's key a dead letter carries */

/* $1 topic, $2 partitions, $3 next offsets (comma-separated, aligned). */
static const char *const PROGRESS_SQL =
    "INSERT INTO ingest_progress (topic, partition, next_offset)"
    " SELECT $1, unnest(string_to_array($2, ',')::int[]),"
    "        unnest(string_to_array($3, ',')::bigint[])"
    " ON CONFLICT (topic, partition) DO UPDATE"
    "   SET next_offset = greatest(ingest_progress.next_offset, excluded.next_offset),"
    "       updated_at = now()";

int sb_ingest_init(sb_ingest_t *ing, const char *prefix, char *errstr, size_t errstr_size) {
    if (sb_kafka_topic(ing->topic_alerts, SB_TOPIC_MAX, prefix, SB_TOPIC_ALERTS) ||
        sb_kafka_topic(ing->topic_dlq, SB_TOPIC_MAX, prefix, SB_TOPIC_ALERTS_DLQ) ||
        sb_kafka_topic(ing->topic_prompts, SB_TOPIC_MAX, prefix, SB_TOPIC_PROMPTS) ||
        sb_kafka_topic(ing->topic_escalation_requests, SB_TOPIC_MAX, prefix,
                       SB_TOPIC_ESCALATION_REQUESTS) ||
        sb_kafka_topic(ing->topic_outcomes, SB_TOPIC_MAX, prefix, SB_TOPIC_OUTCOMES)) {
        snprintf(errstr, errstr_size, "SECURITYBOT_TOPIC_PREFIX is too long");
        return -1;
    }
    return 0;
}

static void now_rfc3339(char *buf, size_t size) {
    sb_time_format_us(sb_time_now_us(), buf, size);
}

/* Queues the downstream messages of the recorded alerts in res. */
static int produce(sb_ingest_t *ing, PGresult *res, char *errstr, size_t errstr_size) {
    char now[32];
    now_rfc3339(now, sizeof(now));

    for (int r = 0; r < PQntuples(res); r++) {
        const char *key = NULL, *topic;
        sb_ingest_target_t target;
        char *msg = sb_ingest_downstream_json(res, r, now, &target, &key);
        int rc;
        if (!msg)
            continue;
        topic = target == SB_INGEST_TO_PROMPTS    ? ing->topic_prompts
                : target == SB_INGEST_TO_OUTCOMES ? ing->topic_outcomes
                                                  : ing->topic_escalation_requests;
        rc = sb_producer_send(ing->producer, topic, key, strlen(key), msg, strlen(msg), errstr,
                              errstr_size);
        free(msg);
        if (rc == -1)
            return -1;
        sb_metrics_count(ing->metrics, SB_M_PRODUCED, topic, 1);
    }
    return 0;
}

/* Queues the dead letters of the rejected items. */
static int produce_dead_letters(sb_ingest_t *ing, sb_ingest_item_t *items, size_t n, char *errstr,
                                size_t errstr_size) {
    char now[32];
    now_rfc3339(now, sizeof(now));
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_message_t *m = items[i].m;
        char *msg;
        int rc;
        if (items[i].reject == SB_REJECT_NONE)
            continue;
        if (!(msg = sb_ingest_dead_letter_json(
                  ing->topic_alerts, m, sb_reject_code(items[i].reject), items[i].detail, now))) {
            snprintf(errstr, errstr_size, "out of memory building a dead letter");
            return -1;
        }
        /* The input's key, cut to 64 KiB like the original (messages.c): so
         * every dead letter fits the producer's 1 MB, whatever the input;
         * the dead_letters table keeps both whole. */
        rc = sb_producer_send(ing->producer, ing->topic_dlq, m->key,
                              m->key_len > DLQ_KEY_MAX ? DLQ_KEY_MAX : m->key_len, msg, strlen(msg),
                              errstr, errstr_size);
        free(msg);
        if (rc == -1)
            return -1;
        sb_metrics_count(ing->metrics, SB_M_PRODUCED, ing->topic_dlq, 1);
        sb_metrics_count(ing->metrics, SB_M_FAILED, sb_reject_code(items[i].reject), 1);
        {
            char part[16], off[24];
            snprintf(part, sizeof(part), "%d", (int)m->partition);
            snprintf(off, sizeof(off), "%lld", (long long)m->offset);
            sb_log_kv_t kv[] = {{"topic", ing->topic_alerts},
                                {"partition", part},
                                {"offset", off},
                                {"reason", sb_reject_code(items[i].reject)}};
            sb_log_kv(SB_LOG_INFO, kv, 4, "alert rejected: %s", items[i].detail);
        }
    }
    return 0;
}

/* Moves ingest_progress past every message of the batch. */
static int advance_progress(sb_ingest_t *ing, rd_kafka_message_t *const *msgs, size_t n,
                            char *errstr, size_t errstr_size) {
    /* partition -> highest offset + 1, as two aligned comma-separated lists */
    int32_t *part = malloc(n * sizeof(*part));
    int64_t *next = malloc(n * sizeof(*next));
    char *parts = malloc(n * 12 + 1), *offs = malloc(n * 21 + 1);
    size_t np = 0, pl = 0, ol = 0;
    int rc = -1;

    if (!part || !next || !parts || !offs) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        size_t j;
        for (j = 0; j < np && part[j] != msgs[i]->partition; j++)
            ;
        if (j == np) {
            part[np] = msgs[i]->partition;
            next[np++] = msgs[i]->offset + 1;
        } else if (msgs[i]->offset + 1 > next[j]) {
            next[j] = msgs[i]->offset + 1;
        }
    }
    parts[0] = offs[0] = '\0';
    for (size_t j = 0; j < np; j++) {
        pl += (size_t)sprintf(parts + pl, "%s%d", j ? "," : "", (int)part[j]);
        ol += (size_t)sprintf(offs + ol, "%s%lld", j ? "," : "", (long long)next[j]);
    }
    {
        const char *params[] = {ing->topic_alerts, parts, offs};
        PGresult *res =
            np ? sb_db_query_prepared(ing->progress_db, "sb_ingest_progress", PROGRESS_SQL, 3,
                                      params, NULL, NULL, errstr, errstr_size)
               : NULL;
        rc = (np && !res) ? -1 : 0;
        PQclear(res);
    }
out:
    free(part);
    free(next);
    free(parts);
    free(offs);
    return rc;
}

struct sb_ingest_batch_s {
    rd_kafka_message_t **msgs; /* owned */
    size_t n;
    sb_ingest_item_t *items;
    int64_t born_us;                 /* when it was collected, for the latency histogram */
    PGresult *res[SB_INGEST_MAX_DB]; /* per lane; NULL where a lane had nothing */
    int sent[SB_INGEST_MAX_DB];      /* a statement is in flight on that lane */
    /* the fast path (copy.c), per lane: the COPY data and the rows it
     * records, from prepare until the COPY's outcome is known; made NULL
     * where the lane runs the statement */
    int prepared;
    sb_buf_t rows[SB_INGEST_MAX_DB];
    PGresult *made[SB_INGEST_MAX_DB];
};

sb_ingest_batch_t *sb_ingest_batch_new(rd_kafka_message_t **msgs, size_t n) {
    sb_ingest_batch_t *b = calloc(1, sizeof(*b));
    if (!b || !(b->items = calloc(n, sizeof(*b->items))) ||
        !(b->msgs = malloc(n * sizeof(*b->msgs)))) {
        if (b)
            free(b->items);
        free(b);
        return NULL;
    }
    memcpy(b->msgs, msgs, n * sizeof(*msgs));
    b->n = n;
    b->born_us = sb_time_monotonic_us();
    for (size_t i = 0; i < n; i++) {
        b->items[i].m = msgs[i];
        sb_ingest_item_validate(&b->items[i]);
    }
    return b;
}

int64_t sb_ingest_batch_age_us(const sb_ingest_batch_t *b) {
    return sb_time_monotonic_us() - b->born_us;
}

rd_kafka_message_t *const *sb_ingest_batch_messages(const sb_ingest_batch_t *b, size_t *n) {
    *n = b->n;
    return b->msgs;
}

static void clear_results(sb_ingest_batch_t *b) {
    for (size_t l = 0; l < SB_INGEST_MAX_DB; l++) {
        PQclear(b->res[l]);
        b->res[l] = NULL;
    }
}

/* Lane l goes the statement's way from now on. */
static void drop_fast_path(sb_ingest_batch_t *b, size_t l) {
    PQclear(b->made[l]);
    b->made[l] = NULL;
    sb_buf_free(&b->rows[l]);
}

/* Prepares b's fast path once, resolving on db (NULL: each lane's own). */
static void prepare(sb_ingest_t *ing, sb_ingest_batch_t *b, sb_db_t *db) {
    if (b->prepared)
        return;
    b->prepared = 1;
    for (size_t l = 0; ing->copy && l < ing->ndb; l++)
        sb_ingest_copy_prepare(ing, db ? db : ing->db[l], b->items, b->n, l, ing->ndb, &b->rows[l],
                               &b->made[l]);
}

void sb_ingest_prepare(sb_ingest_t *ing, sb_ingest_batch_t *b) {
    prepare(ing, b, ing->progress_db);
}

void sb_ingest_batch_destroy(sb_ingest_batch_t *b) {
    if (!b)
        return;
    clear_results(b);
    for (size_t l = 0; l < SB_INGEST_MAX_DB; l++)
        drop_fast_path(b, l);
    for (size_t i = 0; i < b->n; i++) {
        if (b->items[i].reject == SB_REJECT_NONE)
            sb_alert_clear(&b->items[i].alert);
        rd_kafka_message_destroy(b->msgs[i]);
    }
    free(b->items);
    free(b->msgs);
    free(b);
}

int sb_ingest_send(sb_ingest_t *ing, sb_ingest_batch_t *b, char *errstr, size_t errstr_size) {
    int rc = 0;
    clear_results(b);
    prepare(ing, b, NULL);
    for (size_t l = 0; l < ing->ndb; l++) {
        char why[512];
        if (b->made[l]) {
            if (sb_ingest_copy_send(ing->db[l], &b->rows[l]) == 0) {
                b->sent[l] = 1;
                continue;
            }
            drop_fast_path(b, l);
        }
        if (sb_ingest_record_send(ing, ing->db[l], b->items, 0, b->n, l, ing->ndb, &b->sent[l], why,
                                  sizeof(why)) == -1 &&
            rc == 0) {
            snprintf(errstr, errstr_size, "%s", why);
            rc = -1;
        }
    }
    return rc;
}

/* Lane l's COPY finished: its rows are the result. Or it was refused (an
 * alert recorded before, by a redelivery or from another partition, or
 * one PostgreSQL will not take): nothing of it stays, and the lane runs
 * the statement instead, which knows what to do about either. */
static PGresult *wait_copy(sb_ingest_t *ing, sb_ingest_batch_t *b, size_t l, char *errstr,
                           size_t errstr_size) {
    PGresult *res = sb_db_wait(ing->db[l], errstr, errstr_size);
    if (res) {
        PQclear(res);
        res = b->made[l];
        b->made[l] = NULL;
        drop_fast_path(b, l);
        sb_log_debug("lane %zu: %d alert(s) loaded with COPY", l, PQntuples(res));
        return res;
    }
    drop_fast_path(b, l);
    sb_log_debug("lane %zu: COPY refused (%s), recording with the statement: %s", l,
                 sb_db_last_sqlstate(ing->db[l]), errstr);
    return sb_ingest_record_lane(ing, l, b->items, b->n, errstr, errstr_size);
}

/* The lanes insert in alert id order, so two lanes holding the same alert
 * wait for each other instead of deadlocking. */
int sb_ingest_wait(sb_ingest_t *ing, sb_ingest_batch_t *b, char *errstr, size_t errstr_size) {
    sb_db_class_t worst = SB_DB_OK;
    for (size_t l = 0; l < ing->ndb; l++) {
        char why[512];
        sb_db_class_t c;
        if (!b->sent[l])
            continue;
        b->sent[l] = 0;
        if (b->made[l] ? (b->res[l] = wait_copy(ing, b, l, why, sizeof(why))) != NULL
                       : (b->res[l] = sb_db_wait(ing->db[l], why, sizeof(why))) != NULL)
            continue;
        c = sb_db_last_class(ing->db[l]);
        if (worst == SB_DB_OK || c == SB_DB_RETRYABLE) {
            worst = c;
            snprintf(errstr, errstr_size, "%s", why);
        }
    }
    if (worst == SB_DB_RETRYABLE)
        return -1;
    if (worst == SB_DB_PERMANENT) {
        sb_log_warn("batch refused by the database (%s); recording alerts one by one", errstr);
        clear_results(b);
        if (sb_ingest_record_one_by_one(ing, b->items, b->n, errstr, errstr_size) == -1 ||
            !(b->res[0] = sb_ingest_record(ing, b->items, 0, b->n, errstr, errstr_size)))
            return -1;
    }
    return 0;
}

int sb_ingest_produce(sb_ingest_t *ing, sb_ingest_batch_t *b, char *errstr, size_t errstr_size) {
    for (size_t l = 0; l < SB_INGEST_MAX_DB; l++)
        if (b->res[l] && produce(ing, b->res[l], errstr, errstr_size) == -1)
            return -1;
    return produce_dead_letters(ing, b->items, b->n, errstr, errstr_size);
}

int sb_ingest_confirm(sb_ingest_t *ing, sb_ingest_batch_t *b, char *errstr, size_t errstr_size) {
    /* shutting down, a broker that does not answer must not hold the exit
     * past a supervisor's grace period (30 s): unconfirmed, the batch stays
     * uncommitted and comes back to the next consumer */
    if (sb_producer_flush(ing->producer, sb_running ? 30000 : 5000, errstr, errstr_size) == -1)
        return -1;
    /* If this fails the caller runs the batch again: the messages repeat
     * with the same ids, and the progress is accurate again. */
    return advance_progress(ing, b->msgs, b->n, errstr, errstr_size);
}

int sb_ingest_run(sb_ingest_t *ing, sb_ingest_batch_t *b, char *errstr, size_t errstr_size) {
    int rc = sb_ingest_send(ing, b, errstr, errstr_size);
    /* wait even after a failed send: other lanes may have a statement out */
    if (sb_ingest_wait(ing, b, errstr, errstr_size) == -1 || rc == -1)
        return -1;
    if (sb_ingest_produce(ing, b, errstr, errstr_size) == -1)
        return -1;
    return sb_ingest_confirm(ing, b, errstr, errstr_size);
}
