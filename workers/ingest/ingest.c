/* ingest: sb-ingest's decisions for one batch of alerts.
 *
 * A batch is recorded by ONE SQL statement (one implicit transaction): the
 * alerts (ON CONFLICT DO NOTHING on the alert id), their audit entries and
 * the dead letters. The statement returns every alert of the batch whose
 * downstream message has not been dispatched yet: the new ones, and those a
 * crashed predecessor committed but never flushed. After Kafka acknowledged
 * those messages the rows are marked dispatched; only then are offsets
 * committed. A redelivered batch therefore adds no row and, unless the
 * crash fell between flush and mark, no message; when it does, the message
 * repeats with the same deterministic message_id. */
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

/* The recording statement. $1: valid alerts as a JSON array, $2: source
 * topic, $3: actor, $4: dead letters as a JSON array. Fields are read from
 * the raw alert (duplicate keys were refused, so ->> is unambiguous); the
 * normalised occurred_at and defaulted severity come from the validator. */
static const char *const RECORD_SQL =
    "WITH input AS ("
    "  SELECT DISTINCT ON (x.id) x.* FROM json_to_recordset($1::json)"
    "    AS x(id text, raw jsonb, occurred_at timestamptz, severity text, p int, o bigint)"
    "  ORDER BY x.id, x.p, x.o),"
    " resolved AS ("
    "  SELECT i.*, e.id AS employee_id, coalesce(e.opted_out, false) AS opted_out,"
    "    EXISTS (SELECT 1 FROM ignore_rules r WHERE r.employee_id = e.id"
    "            AND r.rule IN (i.raw->>'rule', '*') AND r.until > now()) AS ignored"
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
    "    CASE WHEN employee_id IS NULL OR opted_out THEN 'escalation_requested'"
    "         WHEN ignored THEN 'suppressed' ELSE 'queued' END,"
    "    CASE WHEN employee_id IS NULL THEN 'unknown_employee'"
    "         WHEN opted_out THEN 'opted_out' WHEN ignored THEN 'ignore_rule' END,"
    "    $2, p, o,"
    "    CASE WHEN employee_id IS NOT NULL AND NOT opted_out AND ignored THEN 'suppressed' END,"
    "    CASE WHEN employee_id IS NOT NULL AND NOT opted_out AND ignored THEN now() END"
    "  FROM resolved ORDER BY id"
    "  ON CONFLICT (id) DO NOTHING"
    "  RETURNING id, employee_id, status, status_reason, severity, rule, title, occurred_at),"
    " audit AS ("
    "  INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    "  SELECT $3, 'alert_received', id, employee_id,"
    "    json_build_object('status', status, 'reason', status_reason) FROM ins),"
    " dead AS ("
    "  INSERT INTO dead_letters (src_topic, src_partition, src_offset, reason, detail,"
    "    original, msg_key, rejected_by)"
    "  SELECT $2, d.p, d.o, d.reason, d.detail, decode(d.original, 'base64'),"
    "    decode(d.key, 'base64'), $3"
    "  FROM json_to_recordset($4::json) AS d(p int, o bigint, reason text, detail text,"
    "    original text, key text)"
    "  ON CONFLICT DO NOTHING)"
    " SELECT id, employee_id, status, status_reason, severity, rule, title,"
    "   to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM ins"
    " UNION ALL"
    " SELECT a.id, a.employee_id, a.status, a.status_reason, a.severity, a.rule, a.title,"
    "   to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    " FROM alerts a WHERE a.id IN (SELECT id FROM input) AND a.dispatched_at IS NULL";

static const char *const MARK_SQL =
    "UPDATE alerts SET dispatched_at = now()"
    " WHERE id = ANY(string_to_array($1, ',')) AND dispatched_at IS NULL";

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

static void validate(item_t *it) {
    const rd_kafka_message_t *m = it->m;
    it->reject = sb_alert_parse(m->payload ? m->payload : "", m->payload ? m->len : 0, &it->alert,
                                it->detail, sizeof(it->detail));
    if (it->reject != SB_REJECT_NONE)
        return;
    if (sb_id_alert(it->alert.source, it->alert.id, it->alert.rule, it->alert.user,
                    it->alert.occurred_at_utc, it->alert.title, it->id) == -1) {
        it->reject = SB_REJECT_INVALID_VALUE;
        snprintf(it->detail, sizeof(it->detail), "cannot compute the alert id");
        sb_alert_clear(&it->alert);
    }
}

/* Adds an alert to the statement's input; raw is the validated payload. */
static int add_alert_json(cJSON *arr, const item_t *it) {
    cJSON *o = cJSON_CreateObject();
    char *raw = malloc(it->m->len + 1);
    int ok;
    if (!o || !raw) {
        cJSON_Delete(o);
        free(raw);
        return -1;
    }
    memcpy(raw, it->m->payload, it->m->len);
    raw[it->m->len] = '\0';
    ok = cJSON_AddStringToObject(o, "id", it->id) && cJSON_AddRawToObject(o, "raw", raw) &&
         cJSON_AddStringToObject(o, "occurred_at", it->alert.occurred_at_utc) &&
         cJSON_AddStringToObject(o, "severity", it->alert.severity) &&
         cJSON_AddNumberToObject(o, "p", it->m->partition) &&
         cJSON_AddNumberToObject(o, "o", (double)it->m->offset);
    free(raw);
    cJSON_AddItemToArray(arr, o);
    return ok ? 0 : -1;
}

static int add_dead_json(cJSON *arr, const item_t *it) {
    cJSON *o = cJSON_CreateObject();
    char *orig = sb_base64_encode(it->m->payload ? it->m->payload : "", it->m->len);
    char *key = it->m->key ? sb_base64_encode(it->m->key, it->m->key_len) : NULL;
    int ok = o && orig && (!it->m->key || key) &&
             cJSON_AddNumberToObject(o, "p", it->m->partition) &&
             cJSON_AddNumberToObject(o, "o", (double)it->m->offset) &&
             cJSON_AddStringToObject(o, "reason", sb_reject_code(it->reject)) &&
             cJSON_AddStringToObject(o, "detail", it->detail) &&
             cJSON_AddStringToObject(o, "original", orig) &&
             (key ? cJSON_AddStringToObject(o, "key", key) != NULL
                  : cJSON_AddNullToObject(o, "key") != NULL);
    free(orig);
    free(key);
    if (o)
        cJSON_AddItemToArray(arr, o);
    return ok ? 0 : -1;
}

/* Runs RECORD_SQL over items[from..to) (valid ones as alerts, rejected
 * ones as dead letters). Returns the result or NULL. */
static PGresult *record(sb_ingest_t *ing, item_t *items, size_t from, size_t to, char *errstr,
                        size_t errstr_size) {
    cJSON *alerts = cJSON_CreateArray(), *dead = cJSON_CreateArray();
    char *a = NULL, *d = NULL;
    PGresult *res = NULL;

    if (!alerts || !dead)
        goto oom;
    for (size_t i = from; i < to; i++) {
        int rc = items[i].reject == SB_REJECT_NONE ? add_alert_json(alerts, &items[i])
                                                   : add_dead_json(dead, &items[i]);
        if (rc == -1)
            goto oom;
    }
    a = cJSON_PrintUnformatted(alerts);
    d = cJSON_PrintUnformatted(dead);
    if (!a || !d)
        goto oom;
    {
        const char *params[] = {a, ing->topic_alerts, ing->worker, d};
        res = sb_db_query(ing->db, RECORD_SQL, 4, params, errstr, errstr_size);
    }
    goto out;
oom:
    snprintf(errstr, errstr_size, "out of memory building the batch");
out:
    cJSON_Delete(alerts);
    cJSON_Delete(dead);
    free(a);
    free(d);
    return res;
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
        if (sb_db_last_class(ing->db) != SB_DB_PERMANENT) {
            snprintf(errstr, errstr_size, "%s", why);
            return -1;
        }
        sb_alert_clear(&items[i].alert);
        items[i].reject = SB_REJECT_INVALID_VALUE;
        snprintf(items[i].detail, sizeof(items[i].detail), "refused by the database: %.200s",
                 why);
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

/* Queues the downstream messages of res and the dead letters of items.
 * Appends the dispatched alert ids to ids (comma-separated). */
static int produce(sb_ingest_t *ing, PGresult *res, item_t *items, size_t n, char *ids,
                   size_t ids_size, char *errstr, size_t errstr_size) {
    char now[32];
    size_t used = 0;
    now_rfc3339(now, sizeof(now));
    ids[0] = '\0';

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
        used += (size_t)snprintf(ids + used, ids_size - used, "%s%s", used ? "," : "",
                                 PQgetvalue(res, r, 0));
    }
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
            sb_log_kv_t kv[] = {{"topic", ing->topic_alerts}, {"partition", part},
                                {"offset", off}, {"reason", sb_reject_code(items[i].reject)}};
            sb_log_kv(SB_LOG_INFO, kv, 4, "alert rejected: %s", items[i].detail);
        }
    }
    return 0;
}

int sb_ingest_batch(sb_ingest_t *ing, rd_kafka_message_t *const *msgs, size_t n, char *errstr,
                    size_t errstr_size) {
    item_t *items = calloc(n, sizeof(*items));
    /* ids: n * (64 hex + comma) */
    char *ids = malloc(n * (SB_SHA256_HEX_LEN + 1) + 1);
    PGresult *res = NULL;
    int rc = -1;

    if (!items || !ids) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        items[i].m = msgs[i];
        validate(&items[i]);
    }

    res = record(ing, items, 0, n, errstr, errstr_size);
    if (!res && sb_db_last_class(ing->db) == SB_DB_PERMANENT && n > 0) {
        sb_log_warn("batch refused by the database (%s); recording alerts one by one", errstr);
        if (record_one_by_one(ing, items, n, errstr, errstr_size) == -1)
            goto out;
        res = record(ing, items, 0, n, errstr, errstr_size);
    }
    if (!res)
        goto out;

    if (produce(ing, res, items, n, ids, n * (SB_SHA256_HEX_LEN + 1) + 1, errstr,
                errstr_size) == -1)
        goto out;
    if (sb_producer_flush(ing->producer, 30000, errstr, errstr_size) == -1)
        goto out;
    if (ids[0]) {
        const char *params[] = {ids};
        /* Failing here only means a later redelivery re-sends messages with
         * the same ids; the batch itself is durable, so go on. */
        if (sb_db_exec(ing->db, MARK_SQL, 1, params, errstr, errstr_size) == -1)
            sb_log_warn("could not mark alerts dispatched: %s", errstr);
    }
    rc = 0;
out:
    PQclear(res);
    if (items)
        for (size_t i = 0; i < n; i++)
            if (items[i].reject == SB_REJECT_NONE)
                sb_alert_clear(&items[i].alert);
    free(items);
    free(ids);
    return rc;
}
