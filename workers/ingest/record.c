/* record: a batch's inputs, validated, and the one statement that records them in PostgreSQL. */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_id.h"
#include "sb_log.h"
#include "sb_utf8.h"

/* The recording statement. Parameters are binary arrays, aligned per
 * alert ($1-$14) and per dead letter ($15-$20), then $21 the source topic,
 * $22 the actor, $23 the confirmation backoff in milliseconds (0: off) and $24
 * the highest severity it applies to. The fields come from the validator (which refused
 * duplicate keys, so they are the raw alert's), with occurred_at
 * normalised and severity defaulted; the raw alert is stored verbatim. */
/* Severities in order, for "at or below" */
#define SEVERITIES "ARRAY['low', 'medium', 'high', 'critical']"

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
    "         THEN 'ignore_rule'"
    "         WHEN c.id IS NOT NULL THEN 'confirmed_recently' END AS reason,"
    "    c.id AS recent_confirmation"
    "  FROM input i"
    "  LEFT JOIN employee_identities ei ON ei.identity = lower(i.usr)"
    "  LEFT JOIN employees e ON e.id = ei.employee_id"
    /* the latest confirmation with a passed second factor of the same
     * employee, rule and title within the backoff (migration 0014's
     * partial index); never looked up when the backoff is off */
    "  LEFT JOIN LATERAL (SELECT p.id FROM alerts p"
    "    WHERE $23::int8 > 0 AND e.id IS NOT NULL"
    "      AND array_position(" SEVERITIES ", i.severity) <= array_position(" SEVERITIES
    ", $24::text)"
    "      AND p.employee_id = e.id AND p.rule = i.rule"
    "      AND p.outcome = 'confirmed' AND p.second_factor = 'passed'"
    "      AND p.decided_at > now() - $23::int8 * interval '1 millisecond' AND p.title = i.title"
    "    ORDER BY p.decided_at DESC LIMIT 1) c ON true),"
    " ins AS ("
    "  INSERT INTO alerts (id, source, rule, title, username, detector_id, description,"
    "    severity, url, details, occurred_at, raw, employee_id, status, status_reason,"
    "    src_topic, src_partition, src_offset, outcome, decided_at, recent_confirmation)"
    "  SELECT id, source, rule, title, usr, detector_id, description, severity, url,"
    "    details::jsonb, occurred_at::timestamptz, raw::json, employee_id,"
    "    CASE WHEN reason IS NULL THEN 'queued' WHEN reason = 'ignore_rule' THEN 'suppressed'"
    "         WHEN reason = 'confirmed_recently' THEN 'confirmed'"
    "         ELSE 'escalation_requested' END,"
    "    reason, $21, p, o,"
    "    CASE WHEN reason = 'ignore_rule' THEN 'suppressed'"
    "         WHEN reason = 'confirmed_recently' THEN 'confirmed_recently' END,"
    "    CASE WHEN reason IN ('ignore_rule', 'confirmed_recently') THEN now() END,"
    "    CASE WHEN reason = 'confirmed_recently' THEN recent_confirmation END"
    "  FROM resolved ORDER BY id"
    "  ON CONFLICT (id) DO NOTHING"
    "  RETURNING id, employee_id, status, status_reason, severity, rule, title, occurred_at,"
    "    recent_confirmation),"
    /* a decision made without the employee is audited, as sb-response's are */
    " noted AS ("
    "  INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    "  SELECT $22, 'confirmed_recently', id, employee_id,"
    "    jsonb_build_object('recent_confirmation', recent_confirmation)"
    "  FROM ins WHERE status_reason = 'confirmed_recently'),"
    " dead AS ("
    "  INSERT INTO dead_letters (src_topic, src_partition, src_offset, reason, detail,"
    "    original, msg_key, rejected_by)"
    "  SELECT $21, d.p, d.o, d.reason, d.detail, d.original, d.key, $22"
    "  FROM unnest($15::int4[], $16::int8[], $17::text[], $18::text[], $19::bytea[],"
    "    $20::bytea[])"
    "    AS d(p, o, reason, detail, original, key)"
    "  ON CONFLICT DO NOTHING)"
    " SELECT id, employee_id, status, status_reason, severity, rule, title,"
    "   to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    "   recent_confirmation FROM ins"
    " UNION ALL"
    /* alerts this very message created earlier, not yet known to be sent */
    " SELECT a.id, a.employee_id, a.status, a.status_reason, a.severity, a.rule, a.title,"
    "   to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    "   a.recent_confirmation"
    /* a join, not a per-row subquery: on a fresh, never-analysed database
     * the planner ran the subquery once per existing alert and batch row.
     * Only the ids the insert did not take (ON CONFLICT: the row existed
     * before the statement) are looked up in alerts: a fresh batch's rows
     * are all in ins, and probing alerts' primary key for each of them
     * found nothing (the statement cannot see its own inserts) at the cost
     * of one index lookup per alert (issue 17, section 3) */
    " FROM batch b LEFT JOIN ingest_progress g ON g.topic = $21 AND g.partition = b.p"
    " JOIN alerts a ON a.id = b.id AND a.src_topic = $21"
    "   AND a.src_partition = b.p AND a.src_offset = b.o"
    " WHERE b.o >= coalesce(g.next_offset, 0)"
    "   AND NOT EXISTS (SELECT 1 FROM ins WHERE ins.id = b.id)";

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

void sb_ingest_item_validate(sb_ingest_item_t *it) {
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

static void add_item(sb_db_array_t *arr, const sb_ingest_item_t *it) {
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
int sb_ingest_record_send(sb_ingest_t *ing, sb_db_t *db, sb_ingest_item_t *items, size_t from,
                          size_t to, size_t lane, size_t nlanes, int *sent, char *errstr,
                          size_t errstr_size) {
    sb_db_array_t arr[NARRAYS];
    const char *values[NARRAYS + 4];
    int lengths[NARRAYS + 4], formats[NARRAYS + 4], count = 0, rc = -1;
    char backoff_ms[24];
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
    snprintf(backoff_ms, sizeof(backoff_ms), "%lld", (long long)ing->confirm_backoff_ms);
    values[NARRAYS] = ing->topic_alerts;
    values[NARRAYS + 1] = ing->worker;
    values[NARRAYS + 2] = backoff_ms;
    values[NARRAYS + 3] = ing->confirm_backoff_max_severity;
    for (i = NARRAYS; i < NARRAYS + 4; i++)
        lengths[i] = formats[i] = 0;
    /* blocking mode: the parameters are on the socket when this returns */
    rc = sb_db_send_prepared(db, "sb_ingest_record", RECORD_SQL, NARRAYS + 4, values, lengths,
                             formats, errstr, errstr_size);
    *sent = rc == 0;
out:
    for (i = 0; i < NARRAYS; i++)
        sb_db_array_free(&arr[i]);
    return rc;
}

/* Sends the statement for lane of nlanes on db and waits. The result
 * (empty when the lane had nothing to record), or NULL. */
static PGresult *record_wait(sb_ingest_t *ing, sb_db_t *db, sb_ingest_item_t *items, size_t from,
                             size_t to, size_t lane, size_t nlanes, char *errstr,
                             size_t errstr_size) {
    int sent;
    if (sb_ingest_record_send(ing, db, items, from, to, lane, nlanes, &sent, errstr, errstr_size) ==
        -1)
        return NULL;
    return sent ? sb_db_wait(db, errstr, errstr_size) : PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
}

PGresult *sb_ingest_record(sb_ingest_t *ing, sb_ingest_item_t *items, size_t from, size_t to,
                           char *errstr, size_t errstr_size) {
    return record_wait(ing, ing->db[0], items, from, to, 0, 1, errstr, errstr_size);
}

PGresult *sb_ingest_record_lane(sb_ingest_t *ing, size_t lane, sb_ingest_item_t *items, size_t n,
                                char *errstr, size_t errstr_size) {
    return record_wait(ing, ing->db[lane], items, 0, n, lane, ing->ndb, errstr, errstr_size);
}

/* A permanent database error for the whole batch means one alert the
 * validator accepted is still unacceptable to PostgreSQL (say the year 0,
 * which RFC 3339 has and PostgreSQL has not). Find it by recording the alerts one by one, and
 * dead-letter those that fail alone, so that one bad alert can neither
 * block the partition nor take the others down with it. */
int sb_ingest_record_one_by_one(sb_ingest_t *ing, sb_ingest_item_t *items, size_t n, char *errstr,
                                size_t errstr_size) {
    for (size_t i = 0; i < n; i++) {
        PGresult *res;
        char why[SB_INGEST_DETAIL_MAX];
        if (items[i].reject != SB_REJECT_NONE)
            continue;
        res = sb_ingest_record(ing, items, i, i + 1, why, sizeof(why));
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
        snprintf(items[i].detail, sizeof(items[i].detail), "refused by the database: %.*s",
                 SB_UTF8_CUT(why, 200));
        sanitize_detail(items[i].detail);
        sb_log_kv_t kv[] = {{"alert_id", items[i].id}};
        sb_log_kv(SB_LOG_WARN, kv, 1, "alert refused by the database, dead-lettering it");
    }
    return 0;
}
