/* ingest: sb-ingest's decisions for one batch of alerts.
 *
 * A batch is recorded by ONE SQL statement (one implicit transaction): the
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
#include "messages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_crypto.h"
#include "sb_id.h"
#include "sb_log.h"
#include "sb_schema.h"
#include "sb_time.h"
#include "sb_utf8.h"

#define DETAIL_MAX  256
#define DLQ_KEY_MAX SB_ALERT_MAX_BYTES /* the most of an input's key a dead letter carries */

typedef struct {
    const rd_kafka_message_t *m; /* borrowed from the caller */
    sb_alert_t alert;
    sb_reject_t reject;
    char detail[DETAIL_MAX];
    char id[SB_SHA256_HEX_LEN + 1];
} item_t;

/* The recording statement. Parameters are binary arrays, aligned per
 * alert ($1-$14) and per dead letter ($15-$20), then $21 the source topic
 * and $22 the actor. The fields come from the validator (which refused
 * duplicate keys, so they are the raw alert's), with occurred_at
 * normalised and severity defaulted; the raw alert is stored verbatim. */
static const char *const RECORD_SQL =
    "WITH batch AS ("
    "  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[],"
    "    $6::int8[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[],"
    "    $13::text[], $14::text[]) AS x(id, raw, occurred_at, severity, p, o, source, rule,"
    "    title, usr, detector_id, description, url, details)),"
    " input AS (SELECT DISTINCT ON (id) * FROM batch ORDER BY id, p, o),"
    /* why this alert is not simply prompted (NULL: it is), decided once */
    " resolved AS ("
    "  SELECT i.*, e.id AS employee_id,"
    "    CASE WHEN e.id IS NULL THEN 'unknown_employee' WHEN e.opted_out THEN 'opted_out'"
    /* the IN list is one hashed lookup per statement; the per-row probe
     * runs only for employees who have an active rule at all */
    "         WHEN e.id IN (SELECT employee_id FROM ignore_rules WHERE until > now())"
    "          AND EXISTS (SELECT 1 FROM ignore_rules r WHERE r.employee_id = e.id"
    "                      AND r.rule IN (i.rule, '*') AND r.until > now())"
    "         THEN 'ignore_rule' END AS reason"
    "  FROM input i"
    "  LEFT JOIN employee_identities ei ON ei.identity = lower(i.usr)"
    "  LEFT JOIN employees e ON e.id = ei.employee_id),"
    " ins AS ("
    "  INSERT INTO alerts (id, source, rule, title, username, detector_id, description,"
    "    severity, url, details, occurred_at, raw, employee_id, status, status_reason,"
    "    src_topic, src_partition, src_offset, outcome, decided_at)"
    "  SELECT id, source, rule, title, usr, detector_id, description, severity, url,"
    "    details::jsonb, occurred_at::timestamptz, raw::json, employee_id,"
    "    CASE WHEN reason IS NULL THEN 'queued' WHEN reason = 'ignore_rule' THEN 'suppressed'"
    "         ELSE 'escalation_requested' END,"
    "    reason, $21, p, o,"
    "    CASE WHEN reason = 'ignore_rule' THEN 'suppressed' END,"
    "    CASE WHEN reason = 'ignore_rule' THEN now() END"
    "  FROM resolved ORDER BY id"
    "  ON CONFLICT (id) DO NOTHING"
    "  RETURNING id, employee_id, status, status_reason, severity, rule, title, occurred_at),"
    " dead AS ("
    "  INSERT INTO dead_letters (src_topic, src_partition, src_offset, reason, detail,"
    "    original, msg_key, rejected_by)"
    "  SELECT $21, d.p, d.o, d.reason, d.detail, d.original, d.key, $22"
    "  FROM unnest($15::int4[], $16::int8[], $17::text[], $18::text[], $19::bytea[],"
    "    $20::bytea[])"
    "    AS d(p, o, reason, detail, original, key)"
    "  ON CONFLICT DO NOTHING)"
    " SELECT id, employee_id, status, status_reason, severity, rule, title,"
    "   to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM ins"
    " UNION ALL"
    /* alerts this very message created earlier, not yet known to be sent */
    " SELECT a.id, a.employee_id, a.status, a.status_reason, a.severity, a.rule, a.title,"
    "   to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    /* a join, not a per-row subquery: on a fresh, never-analysed database
     * the planner ran the subquery once per existing alert and batch row */
    " FROM batch b LEFT JOIN ingest_progress g ON g.topic = $21 AND g.partition = b.p"
    " JOIN alerts a ON a.id = b.id AND a.src_topic = $21"
    "   AND a.src_partition = b.p AND a.src_offset = b.o"
    " WHERE b.o >= coalesce(g.next_offset, 0)";

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

/* The detail may quote a cut of hostile input; it goes into a text
 * column, which refuses invalid UTF-8, and a refusal must not block the
 * partition. */
static void sanitize_detail(char *d) {
    if (sb_utf8_valid(d, strlen(d)))
        return;
    for (; *d; d++)
        if ((unsigned char)*d >= 0x80)
            *d = '?';
}

static void validate(item_t *it) {
    const rd_kafka_message_t *m = it->m;
    it->reject = sb_alert_parse(m->payload ? m->payload : "", m->payload ? m->len : 0, &it->alert,
                                it->detail, sizeof(it->detail));
    if (it->reject != SB_REJECT_NONE) {
        sanitize_detail(it->detail);
        return;
    }
    if (sb_id_alert(it->alert.source, it->alert.id, it->alert.rule, it->alert.user,
                    it->alert.occurred_at_utc, it->alert.title, it->id) == -1) {
        it->reject = SB_REJECT_INVALID_VALUE;
        snprintf(it->detail, sizeof(it->detail), "cannot compute the alert id");
        sb_alert_clear(&it->alert);
    }
}

enum {
    A_ID,
    A_RAW,
    A_OCCURRED,
    A_SEVERITY,
    A_PART,
    A_OFFSET,
    A_SOURCE,
    A_RULE,
    A_TITLE,
    A_USER,
    A_DETECTOR_ID,
    A_DESCRIPTION,
    A_URL,
    A_DETAILS,
    D_PART,
    D_OFFSET,
    D_REASON,
    D_DETAIL,
    D_ORIGINAL,
    D_KEY,
    NARRAYS
};

static const unsigned array_oid[NARRAYS] = {
    SB_DB_OID_TEXT, SB_DB_OID_TEXT, SB_DB_OID_TEXT, SB_DB_OID_TEXT,  SB_DB_OID_INT4,
    SB_DB_OID_INT8, SB_DB_OID_TEXT, SB_DB_OID_TEXT, SB_DB_OID_TEXT,  SB_DB_OID_TEXT,
    SB_DB_OID_TEXT, SB_DB_OID_TEXT, SB_DB_OID_TEXT, SB_DB_OID_TEXT,  SB_DB_OID_INT4,
    SB_DB_OID_INT8, SB_DB_OID_TEXT, SB_DB_OID_TEXT, SB_DB_OID_BYTEA, SB_DB_OID_BYTEA,
};

/* A text element, or NULL for an absent optional field. */
static void add_text(sb_db_array_t *a, const char *s) {
    sb_db_array_add(a, s, s ? strlen(s) : 0);
}

static void add_item(sb_db_array_t *arr, const item_t *it) {
    const rd_kafka_message_t *m = it->m;
    if (it->reject == SB_REJECT_NONE) {
        sb_db_array_add(&arr[A_ID], it->id, SB_SHA256_HEX_LEN);
        sb_db_array_add(&arr[A_RAW], m->payload, m->len);
        sb_db_array_add(&arr[A_OCCURRED], it->alert.occurred_at_utc,
                        strlen(it->alert.occurred_at_utc));
        sb_db_array_add(&arr[A_SEVERITY], it->alert.severity, strlen(it->alert.severity));
        sb_db_array_add_int4(&arr[A_PART], m->partition);
        sb_db_array_add_int8(&arr[A_OFFSET], m->offset);
        /* the validator parsed these already: PostgreSQL need not */
        add_text(&arr[A_SOURCE], it->alert.source);
        add_text(&arr[A_RULE], it->alert.rule);
        add_text(&arr[A_TITLE], it->alert.title);
        add_text(&arr[A_USER], it->alert.user);
        add_text(&arr[A_DETECTOR_ID], it->alert.id);
        add_text(&arr[A_DESCRIPTION], it->alert.description);
        add_text(&arr[A_URL], it->alert.url);
        {
            char *details = it->alert.details ? cJSON_PrintUnformatted(it->alert.details) : NULL;
            if (it->alert.details && !details)
                arr[A_DETAILS].failed = 1;
            add_text(&arr[A_DETAILS], details);
            free(details);
        }
    } else {
        const char *reason = sb_reject_code(it->reject);
        sb_db_array_add_int4(&arr[D_PART], m->partition);
        sb_db_array_add_int8(&arr[D_OFFSET], m->offset);
        sb_db_array_add(&arr[D_REASON], reason, strlen(reason));
        sb_db_array_add(&arr[D_DETAIL], it->detail, strlen(it->detail));
        sb_db_array_add(&arr[D_ORIGINAL], m->payload ? m->payload : "", m->len);
        sb_db_array_add(&arr[D_KEY], m->key, m->key_len);
    }
}

/* Sends RECORD_SQL for the items of items[from..to) whose partition falls
 * in `lane` of `nlanes` (every item when nlanes is 1) on db, without
 * waiting for the result. Sets *sent to whether a statement went out (a
 * lane may have nothing to do). 0 or -1. */
static int send_record(sb_ingest_t *ing, sb_db_t *db, item_t *items, size_t from, size_t to,
                       size_t lane, size_t nlanes, int *sent, char *errstr, size_t errstr_size) {
    sb_db_array_t arr[NARRAYS];
    const char *values[NARRAYS + 2];
    int lengths[NARRAYS + 2], formats[NARRAYS + 2], count = 0, rc = -1;
    size_t i;

    *sent = 0;
    for (i = 0; i < NARRAYS; i++)
        sb_db_array_init(&arr[i], array_oid[i]);
    for (i = from; i < to; i++) {
        if ((size_t)items[i].m->partition % nlanes != lane)
            continue;
        add_item(arr, &items[i]);
        count++;
    }
    if (count == 0) {
        rc = 0;
        goto out;
    }
    for (i = 0; i < NARRAYS; i++) {
        formats[i] = 1;
        if (!(values[i] = sb_db_array_finish(&arr[i], &lengths[i]))) {
            snprintf(errstr, errstr_size, "out of memory building the batch");
            goto out;
        }
    }
    values[NARRAYS] = ing->topic_alerts;
    values[NARRAYS + 1] = ing->worker;
    lengths[NARRAYS] = lengths[NARRAYS + 1] = 0;
    formats[NARRAYS] = formats[NARRAYS + 1] = 0;
    /* blocking mode: the parameters are on the socket when this returns */
    rc = sb_db_send_prepared(db, "sb_ingest_record", RECORD_SQL, NARRAYS + 2, values, lengths,
                             formats, errstr, errstr_size);
    *sent = rc == 0;
out:
    for (i = 0; i < NARRAYS; i++)
        sb_db_array_free(&arr[i]);
    return rc;
}

/* Records items[from..to) on the first connection and waits. The result
 * (empty when there was nothing to record), or NULL. */
static PGresult *record(sb_ingest_t *ing, item_t *items, size_t from, size_t to, char *errstr,
                        size_t errstr_size) {
    int sent;
    if (send_record(ing, ing->db[0], items, from, to, 0, 1, &sent, errstr, errstr_size) == -1)
        return NULL;
    return sent ? sb_db_wait(ing->db[0], errstr, errstr_size)
                : PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
}

/* A permanent database error for the whole batch means one alert the
 * validator accepted is still unacceptable to PostgreSQL (say the year 0,
 * which RFC 3339 has and PostgreSQL has not). Find it by recording the alerts one by one, and
 * dead-letter those that fail alone, so that one bad alert can neither
 * block the partition nor take the others down with it. */
static int record_one_by_one(sb_ingest_t *ing, item_t *items, size_t n, char *errstr,
                             size_t errstr_size) {
    for (size_t i = 0; i < n; i++) {
        PGresult *res;
        char why[DETAIL_MAX];
        if (items[i].reject != SB_REJECT_NONE)
            continue;
        res = record(ing, items, i, i + 1, why, sizeof(why));
        if (res) {
            PQclear(res);
            continue;
        }
        if (sb_db_last_class(ing->db[0]) != SB_DB_PERMANENT) {
            snprintf(errstr, errstr_size, "%s", why);
            return -1;
        }
        sb_alert_clear(&items[i].alert);
        items[i].reject = SB_REJECT_INVALID_VALUE;
        snprintf(items[i].detail, sizeof(items[i].detail), "refused by the database: %.200s", why);
        sanitize_detail(items[i].detail);
        sb_log_kv_t kv[] = {{"alert_id", items[i].id}};
        sb_log_kv(SB_LOG_WARN, kv, 1, "alert refused by the database, dead-lettering it");
    }
    return 0;
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
static int produce_dead_letters(sb_ingest_t *ing, item_t *items, size_t n, char *errstr,
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
    item_t *items;
    int64_t born_us;                 /* when it was collected, for the latency histogram */
    PGresult *res[SB_INGEST_MAX_DB]; /* per lane; NULL where a lane had nothing */
    int sent[SB_INGEST_MAX_DB];      /* a statement is in flight on that lane */
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
        validate(&b->items[i]);
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

void sb_ingest_batch_destroy(sb_ingest_batch_t *b) {
    if (!b)
        return;
    clear_results(b);
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
    for (size_t l = 0; l < ing->ndb; l++) {
        char why[512];
        if (send_record(ing, ing->db[l], b->items, 0, b->n, l, ing->ndb, &b->sent[l], why,
                        sizeof(why)) == -1 &&
            rc == 0) {
            snprintf(errstr, errstr_size, "%s", why);
            rc = -1;
        }
    }
    return rc;
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
        if ((b->res[l] = sb_db_wait(ing->db[l], why, sizeof(why))))
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
        if (record_one_by_one(ing, b->items, b->n, errstr, errstr_size) == -1 ||
            !(b->res[0] = record(ing, b->items, 0, b->n, errstr, errstr_size)))
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
    if (sb_producer_flush(ing->producer, 30000, errstr, errstr_size) == -1)
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
