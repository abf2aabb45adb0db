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

#define DETAIL_MAX 256

typedef struct {
    const rd_kafka_message_t *m; /* borrowed from the caller */
    sb_alert_t alert;
    sb_reject_t reject;
    char detail[DETAIL_MAX];
    char id[SB_SHA256_HEX_LEN + 1];
} item_t;

/* The recording statement. Parameters are binary arrays, aligned per
 * alert ($1-$6) and per dead letter ($7-$12), then $13 the source topic and
 * $14 the actor. Fields are read from the raw alert (duplicate keys were
 * refused, so ->> is unambiguous); the normalised occurred_at and the
 * defaulted severity come from the validator. */
static const char *const RECORD_SQL =
    "WITH batch AS ("
    "  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[],"
    "    $6::int8[]) AS x(id, raw, occurred_at, severity, p, o)),"
    " input AS (SELECT DISTINCT ON (id) id, raw::jsonb AS raw,"
    "   occurred_at::timestamptz AS occurred_at, severity, p, o FROM batch ORDER BY id, p, o),"
    /* why this alert is not simply prompted (NULL: it is), decided once */
    " resolved AS ("
    "  SELECT i.*, e.id AS employee_id,"
    "    CASE WHEN e.id IS NULL THEN 'unknown_employee' WHEN e.opted_out THEN 'opted_out'"
    "         WHEN EXISTS (SELECT 1 FROM ignore_rules r WHERE r.employee_id = e.id"
    "                      AND r.rule IN (i.raw->>'rule', '*') AND r.until > now())"
    "         THEN 'ignore_rule' END AS reason"
    "  FROM input i"
    "  LEFT JOIN employee_identities ei ON ei.identity = lower(i.raw->>'user')"
    "  LEFT JOIN employees e ON e.id = ei.employee_id),"
    " ins AS ("
    "  INSERT INTO alerts (id, source, rule, title, username, detector_id, description,"
    "    severity, url, details, occurred_at, raw, employee_id, status, status_reason,"
    "    src_topic, src_partition, src_offset, outcome, decided_at)"
    "  SELECT id, raw->>'source', raw->>'rule', raw->>'title', raw->>'user', raw->>'id',"
    "    raw->>'description', severity, raw->>'url', raw->'details', occurred_at, raw,"
    "    employee_id,"
    "    CASE WHEN reason IS NULL THEN 'queued' WHEN reason = 'ignore_rule' THEN 'suppressed'"
    "         ELSE 'escalation_requested' END,"
    "    reason, $13, p, o,"
    "    CASE WHEN reason = 'ignore_rule' THEN 'suppressed' END,"
    "    CASE WHEN reason = 'ignore_rule' THEN now() END"
    "  FROM resolved ORDER BY id"
    "  ON CONFLICT (id) DO NOTHING"
    "  RETURNING id, employee_id, status, status_reason, severity, rule, title, occurred_at),"
    " dead AS ("
    "  INSERT INTO dead_letters (src_topic, src_partition, src_offset, reason, detail,"
    "    original, msg_key, rejected_by)"
    "  SELECT $13, d.p, d.o, d.reason, d.detail, d.original, d.key, $14"
    "  FROM unnest($7::int4[], $8::int8[], $9::text[], $10::text[], $11::bytea[], $12::bytea[])"
    "    AS d(p, o, reason, detail, original, key)"
    "  ON CONFLICT DO NOTHING)"
    " SELECT id, employee_id, status, status_reason, severity, rule, title,"
    "   to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM ins"
    " UNION ALL"
    /* alerts this very message created earlier, not yet known to be sent */
    " SELECT a.id, a.employee_id, a.status, a.status_reason, a.severity, a.rule, a.title,"
    "   to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    " FROM batch b JOIN alerts a ON a.id = b.id AND a.src_topic = $13"
    "   AND a.src_partition = b.p AND a.src_offset = b.o"
    " WHERE b.o >= coalesce((SELECT g.next_offset FROM ingest_progress g"
    "                        WHERE g.topic = $13 AND g.partition = b.p), 0)";

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
    D_PART,
    D_OFFSET,
    D_REASON,
    D_DETAIL,
    D_ORIGINAL,
    D_KEY,
    NARRAYS
};

static const unsigned array_oid[NARRAYS] = {
    SB_DB_OID_TEXT, SB_DB_OID_TEXT, SB_DB_OID_TEXT,  SB_DB_OID_TEXT,
    SB_DB_OID_INT4, SB_DB_OID_INT8, SB_DB_OID_INT4,  SB_DB_OID_INT8,
    SB_DB_OID_TEXT, SB_DB_OID_TEXT, SB_DB_OID_BYTEA, SB_DB_OID_BYTEA,
};

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

/* Records items[from..to) on the first connection and waits. The result,
 * or NULL (an empty result when there was nothing to record). */
static PGresult *record(sb_ingest_t *ing, item_t *items, size_t from, size_t to, char *errstr,
                        size_t errstr_size) {
    int sent;
    if (send_record(ing, ing->db[0], items, from, to, 0, 1, &sent, errstr, errstr_size) == -1)
        return NULL;
    return sent ? sb_db_wait(ing->db[0], errstr, errstr_size)
                : PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
}

/* Records the batch split by partition over every connection at once, so
 * that PostgreSQL works on the lanes in parallel. The insert order is by
 * alert id in every lane, so two lanes holding the same alert wait for each
 * other instead of deadlocking. Fills res[lane] (NULL where a lane had
 * nothing); returns SB_DB_OK, or the class of the worst failure. */
static sb_db_class_t record_lanes(sb_ingest_t *ing, item_t *items, size_t n, PGresult **res,
                                  char *errstr, size_t errstr_size) {
    sb_db_class_t worst = SB_DB_OK;
    int sent[SB_INGEST_MAX_DB];
    char why[512];

    for (size_t l = 0; l < ing->ndb; l++) {
        res[l] = NULL;
        if (send_record(ing, ing->db[l], items, 0, n, l, ing->ndb, &sent[l], why, sizeof(why)) ==
            -1) {
            worst = SB_DB_RETRYABLE;
            snprintf(errstr, errstr_size, "%s", why);
        }
    }
    for (size_t l = 0; l < ing->ndb; l++) {
        sb_db_class_t c;
        if (!sent[l])
            continue;
        if ((res[l] = sb_db_wait(ing->db[l], why, sizeof(why))))
            continue;
        c = sb_db_last_class(ing->db[l]);
        if (worst == SB_DB_OK || c == SB_DB_RETRYABLE) {
            worst = c;
            snprintf(errstr, errstr_size, "%s", why);
        }
    }
    return worst;
}

/* A permanent database error for the whole batch means one alert the
 * validator accepted is still unacceptable to PostgreSQL (say a number
 * too large for jsonb). Find it by recording the alerts one by one, and
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

/* The dead letter for a rejected message, as the contract defines it. */
static char *dead_letter_json(const sb_ingest_t *ing, const item_t *it, const char *now) {
    const rd_kafka_message_t *m = it->m;
    const char *payload = m->payload ? m->payload : "";
    cJSON *o = cJSON_CreateObject();
    char *out = NULL, *b64 = NULL;
    int as_text = sb_utf8_valid(payload, m->len) && memchr(payload, '\0', m->len) == NULL;

    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "schema", "alert-dlq.v1");
    cJSON_AddStringToObject(o, "reason", sb_reject_code(it->reject));
    cJSON_AddStringToObject(o, "detail", it->detail);
    if (as_text) {
        char *copy = malloc(m->len + 1);
        if (!copy)
            goto out;
        memcpy(copy, payload, m->len);
        copy[m->len] = '\0';
        cJSON_AddStringToObject(o, "original", copy);
        free(copy);
    } else {
        if (!(b64 = sb_base64_encode(payload, m->len)))
            goto out;
        cJSON_AddStringToObject(o, "original", b64);
        cJSON_AddStringToObject(o, "original_encoding", "base64");
    }
    cJSON_AddStringToObject(o, "topic", ing->topic_alerts);
    cJSON_AddNumberToObject(o, "partition", m->partition);
    cJSON_AddNumberToObject(o, "offset", (double)m->offset);
    cJSON_AddStringToObject(o, "rejected_at", now);
    out = cJSON_PrintUnformatted(o);
out:
    free(b64);
    cJSON_Delete(o);
    return out;
}

static const char *priority_for(const char *severity) {
    if (!strcmp(severity, "low"))
        return "low";
    if (!strcmp(severity, "high") || !strcmp(severity, "critical"))
        return "high";
    return "normal";
}

/* Builds the downstream message for one recorded alert row. Sets *topic
 * and *key (pointing into res or ing). Returns an owned string, or NULL
 * with nothing to send. */
static char *downstream_json(const sb_ingest_t *ing, PGresult *res, int row, const char *now,
                             const char **topic, const char **key) {
    const char *id = PQgetvalue(res, row, 0), *status = PQgetvalue(res, row, 2),
               *reason = PQgetvalue(res, row, 3), *severity = PQgetvalue(res, row, 4);
    const char *employee = PQgetisnull(res, row, 1) ? NULL : PQgetvalue(res, row, 1);
    char mid[SB_SHA256_HEX_LEN + 1];
    cJSON *o = cJSON_CreateObject();
    char *out = NULL;

    if (!o)
        return NULL;
    if (!strcmp(status, "queued")) {
        sb_id_message("prompt", id, NULL, mid);
        cJSON_AddStringToObject(o, "schema", "prompt.v1");
        cJSON_AddStringToObject(o, "message_id", mid);
        cJSON_AddStringToObject(o, "alert_id", id);
        cJSON_AddStringToObject(o, "employee_id", employee);
        cJSON_AddStringToObject(o, "severity", severity);
        cJSON_AddStringToObject(o, "rule", PQgetvalue(res, row, 5));
        cJSON_AddStringToObject(o, "title", PQgetvalue(res, row, 6));
        cJSON_AddStringToObject(o, "occurred_at", PQgetvalue(res, row, 7));
        cJSON_AddStringToObject(o, "requested_at", now);
        *topic = ing->topic_prompts;
        *key = employee;
    } else if (!strcmp(status, "escalation_requested")) {
        sb_id_message("escalation-request", id, reason, mid);
        cJSON_AddStringToObject(o, "schema", "escalation-request.v1");
        cJSON_AddStringToObject(o, "message_id", mid);
        cJSON_AddStringToObject(o, "alert_id", id);
        if (employee)
            cJSON_AddStringToObject(o, "employee_id", employee);
        else
            cJSON_AddNullToObject(o, "employee_id");
        cJSON_AddStringToObject(o, "reason", reason);
        cJSON_AddStringToObject(o, "priority", priority_for(severity));
        cJSON_AddNullToObject(o, "comment");
        cJSON_AddStringToObject(o, "requested_by", "sb-ingest");
        cJSON_AddStringToObject(o, "requested_at", now);
        *topic = ing->topic_escalation_requests;
        *key = id;
    } else if (!strcmp(status, "suppressed")) {
        sb_id_message("outcome", id, NULL, mid);
        cJSON_AddStringToObject(o, "schema", "outcome.v1");
        cJSON_AddStringToObject(o, "message_id", mid);
        cJSON_AddStringToObject(o, "alert_id", id);
        cJSON_AddStringToObject(o, "outcome", "suppressed");
        cJSON_AddStringToObject(o, "employee_id", employee);
        cJSON_AddStringToObject(o, "answer", "none");
        cJSON_AddNullToObject(o, "comment");
        cJSON_AddStringToObject(o, "second_factor", "not_attempted");
        cJSON_AddStringToObject(o, "rule", PQgetvalue(res, row, 5));
        cJSON_AddStringToObject(o, "severity", severity);
        cJSON_AddStringToObject(o, "decided_at", now);
        *topic = ing->topic_outcomes;
        *key = id;
    } else {
        /* Already moved on by a later stage: nothing left to dispatch. */
        cJSON_Delete(o);
        return NULL;
    }
    out = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return out;
}

/* Queues the downstream messages of the recorded alerts in res. */
static int produce(sb_ingest_t *ing, PGresult *res, char *errstr, size_t errstr_size) {
    char now[32];
    now_rfc3339(now, sizeof(now));

    for (int r = 0; r < PQntuples(res); r++) {
        const char *topic = NULL, *key = NULL;
        char *msg = downstream_json(ing, res, r, now, &topic, &key);
        int rc;
        if (!msg)
            continue;
        rc = sb_producer_send(ing->producer, topic, key, strlen(key), msg, strlen(msg), errstr,
                              errstr_size);
        free(msg);
        if (rc == -1)
            return -1;
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
        if (!(msg = dead_letter_json(ing, &items[i], now))) {
            snprintf(errstr, errstr_size, "out of memory building a dead letter");
            return -1;
        }
        rc = sb_producer_send(ing->producer, ing->topic_dlq, m->key, m->key_len, msg, strlen(msg),
                              errstr, errstr_size);
        free(msg);
        if (rc == -1)
            return -1;
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
        PGresult *res = np ? sb_db_query_prepared(ing->db[0], "sb_ingest_progress", PROGRESS_SQL, 3,
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

int sb_ingest_batch(sb_ingest_t *ing, rd_kafka_message_t *const *msgs, size_t n, char *errstr,
                    size_t errstr_size) {
    item_t *items = calloc(n, sizeof(*items));
    PGresult *res[SB_INGEST_MAX_DB] = {0};
    sb_db_class_t cls;
    int rc = -1;
    int64_t t0 = sb_time_monotonic_us(), t1, t2, t3;

    if (!items) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        items[i].m = msgs[i];
        validate(&items[i]);
    }
    t1 = sb_time_monotonic_us();

    cls = record_lanes(ing, items, n, res, errstr, errstr_size);
    if (cls == SB_DB_PERMANENT) {
        sb_log_warn("batch refused by the database (%s); recording alerts one by one", errstr);
        for (size_t l = 0; l < ing->ndb; l++) {
            PQclear(res[l]);
            res[l] = NULL;
        }
        if (record_one_by_one(ing, items, n, errstr, errstr_size) == -1 ||
            !(res[0] = record(ing, items, 0, n, errstr, errstr_size)))
            goto out;
    } else if (cls != SB_DB_OK) {
        goto out;
    }

    t2 = sb_time_monotonic_us();
    for (size_t l = 0; l < ing->ndb; l++)
        if (res[l] && produce(ing, res[l], errstr, errstr_size) == -1)
            goto out;
    if (produce_dead_letters(ing, items, n, errstr, errstr_size) == -1 ||
        sb_producer_flush(ing->producer, 30000, errstr, errstr_size) == -1)
        goto out;
    t3 = sb_time_monotonic_us();
    /* If this fails the caller retries the batch: the messages repeat with
     * the same ids, and the progress is accurate again. */
    if (advance_progress(ing, msgs, n, errstr, errstr_size) == -1)
        goto out;
    sb_log_debug("batch of %zu: validate %.1f ms, record %.1f ms, send %.1f ms, progress %.1f ms",
                 n, (double)(t1 - t0) / 1e3, (double)(t2 - t1) / 1e3, (double)(t3 - t2) / 1e3,
                 (double)(sb_time_monotonic_us() - t3) / 1e3);
    rc = 0;
out:
    for (size_t l = 0; l < ing->ndb; l++)
        PQclear(res[l]);
    if (items)
        for (size_t i = 0; i < n; i++)
            if (items[i].reject == SB_REJECT_NONE)
                sb_alert_clear(&items[i].alert);
    free(items);
    return rc;
}
