/* timers: sb-escalation's reminders and no_response escalations, and its tick. */

/* Due work is found by scanning PostgreSQL, no scheduler of our own: each
 * replica claims due rows FOR UPDATE SKIP LOCKED every second, so
 * replicas share the work and never both act on one alert. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escalation.h"
#include "sb_log.h"
#include "sb_message.h"
#include "sb_publish.h"
#include "sb_signal.h"
#include "sb_time.h"
#include "sb_utf8.h"

#define BATCHES_A_TICK                                                                             \
    10 /* a backlog is worked off 1,000 rows a tick, the consumer not starved                      \
        */

/* The age limit of an alert by its severity: $1..$4 (ms, NULL = never). */
#define AGE_OVER                                                                                   \
    "a.prompted_at <= now() - (CASE a.severity WHEN 'low' THEN $1 WHEN 'medium' THEN $2"           \
    "  WHEN 'high' THEN $3 ELSE $4 END)::bigint * interval '1 millisecond'"

/* An alert at or below SECURITYBOT_OFF_HOURS_MAX_SEVERITY (rank r) counts
 * working time: it is due at its column (set by sb_esc_plan; NULL: not
 * planned yet, so not due) by the clock n; any other alert by AGE_OVER. */
#define RANK_OF_A                                                                                  \
    "CASE a.severity WHEN 'critical' THEN 3 WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END"
#define DUE(col, r, n)                                                                             \
    "(CASE WHEN " RANK_OF_A " <= " r "::int THEN a." col " <= " n "::timestamptz ELSE " AGE_OVER   \
    " END)"

/* Open conversations past their reminder time, sent and not yet reminded. */
static const char *const REMIND_SQL =
    "SELECT a.id, a.employee_id, a.chat_channel, a.title, a.status FROM alerts a"
    " WHERE a.status IN ('prompted', 'awaiting_code') AND a.reminded_at IS NULL"
    "  AND a.chat_ts IS NOT NULL AND " DUE(
        "remind_due_at", "$6",
        "$7") " ORDER BY a.prompted_at LIMIT $5::int FOR UPDATE OF a SKIP LOCKED";

/* $1 max rank, $2 limit: open conversations that count working time and
 * have no due times yet, with their start (Unix seconds), severity, zone
 * and hours. Only once their prompt is sent (or its claim is 10 s old,
 * never sent: an outage's alerts still expire): sb-prompt locks a fresh
 * claim to send it SKIP LOCKED, and one this held at that moment waited
 * for sb-prompt's sweep (3 s). The due times count from prompted_at, so
 * planning later moves none of them. */
static const char *const PLAN_SQL =
    "SELECT a.id, extract(epoch FROM a.prompted_at)::bigint, a.severity, e.timezone,"
    "  e.working_hours FROM alerts a JOIN employees e ON e.id = a.employee_id"
    " WHERE a.status IN ('prompted', 'awaiting_code') AND a.escalate_due_at IS NULL"
    "  AND (a.chat_ts IS NOT NULL OR a.prompted_at < now() - interval '10 seconds')"
    "  AND " RANK_OF_A " <= $1::int ORDER BY a.prompted_at LIMIT $2::int"
    " FOR UPDATE OF a SKIP LOCKED";

/* $1 alert, $2 reminder due (NULL: none), $3 escalation due. */
static const char *const PLANNED_SQL =
    "UPDATE alerts SET remind_due_at = $2::timestamptz, escalate_due_at = $3::timestamptz"
    " WHERE id = $1";

/* $1 alert, $2 actor, $3 how it went. */
static const char *const REMINDED_SQL =
    "WITH upd AS (UPDATE alerts SET reminded_at = now(), updated_at = now() WHERE id = $1"
    "  RETURNING id, employee_id)"
    " INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    " SELECT $2, 'reminded', id, employee_id, jsonb_build_object('result', $3::text) FROM upd";

/* Open conversations past their escalation time: no_response. */
static const char *const EXPIRE_SQL =
    "WITH due AS (SELECT a.id FROM alerts a WHERE a.status IN ('prompted', 'awaiting_code')"
    "   AND " DUE(
        "escalate_due_at", "$7",
        "$8") " ORDER BY a.prompted_at LIMIT $5::int"
              "   FOR UPDATE OF a SKIP LOCKED),"
              " upd AS (UPDATE alerts a SET status = 'escalation_requested', status_reason = "
              "'no_response',"
              "   version = a.version + 1, updated_at = now() FROM due WHERE a.id = due.id"
              "   RETURNING a.id, a.employee_id, a.severity, a.version, a.group_id),"
              /* a group's members go with their question (issue 16): each its own request */
              " mem AS (UPDATE alerts m SET status = 'escalation_requested',"
              "   status_reason = 'no_response', version = m.version + 1, updated_at = now()"
              "   FROM upd WHERE m.group_id = upd.id AND m.status = 'grouped'"
              "   RETURNING m.id, m.employee_id, m.severity, m.version, m.group_id),"
              " audit AS (INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
              "   SELECT $6, 'escalation_requested', id, employee_id,"
              "     jsonb_build_object('reason', 'no_response', 'version', version)"
              "     || CASE WHEN group_id IS NULL THEN '{}'::jsonb"
              "        ELSE jsonb_build_object('group_id', group_id) END"
              "   FROM (SELECT * FROM upd UNION ALL SELECT * FROM mem) x)"
              " SELECT id, employee_id, severity, group_id FROM upd"
              " UNION ALL SELECT id, employee_id, severity, group_id FROM mem";

/* The four limits and the batch size as text parameters, then the
 * working-time rank and the clock. */
typedef struct {
    char v[5][24], rank[16], now[32];
} limits_t;

static void limits(const sb_esc_t *e, const int64_t *ms, limits_t *b, const char *params[7]) {
    for (int i = 0; i < SB_SEVERITY_COUNT; i++) {
        snprintf(b->v[i], 24, "%lld", (long long)ms[i]);
        params[i] = ms[i] > 0 ? b->v[i] : NULL;
    }
    snprintf(b->v[4], 24, "%d", e->batch);
    params[4] = b->v[4];
    snprintf(b->rank, sizeof(b->rank), "%d", e->hours->max_rank);
    sb_time_format_us(sb_hours_now(e->hours) * 1000000, b->now, sizeof(b->now));
    params[5] = b->rank;
    params[6] = b->now;
}

/* The instant secs of working time after start, formatted; "" when secs
 * is 0 (no such timer). */
static int due(const sb_esc_t *e, const char *zone, const sb_hours_t *h, int64_t start, int64_t ms,
               char out[32], char *errstr, size_t errstr_size) {
    int64_t at;
    out[0] = '\0';
    if (ms <= 0)
        return 0;
    if (sb_hours_after(zone, h, start, (ms + 999) / 1000, &at, errstr, errstr_size) == -1)
        return -1;
    sb_time_format_us(at * 1000000, out, 32);
    return 0;
}

/* Plans one open conversation's working-time timers (row i of PLAN_SQL).
 * A stored zone or hours that no longer check fall back to the defaults;
 * if even those fail, wall time (the due times as by AGE_OVER). */
static int plan_row(sb_esc_t *e, PGresult *res, int i, char *errstr, size_t errstr_size) {
    const char *zone = e->hours->default_zone;
    sb_hours_t h = e->hours->hours;
    char why[256], remind[32], escalate[32];
    /* the conversation's start in the clock the timers compare with */
    int64_t start = strtoll(PQgetvalue(res, i, 1), NULL, 10) + e->hours->test_offset_sec;
    int rank = sb_severity_rank(PQgetvalue(res, i, 2));
    if (!PQgetisnull(res, i, 3) && sb_hours_check_zone(PQgetvalue(res, i, 3), why, 1) == 0)
        zone = PQgetvalue(res, i, 3);
    if (!PQgetisnull(res, i, 4) && sb_hours_parse(PQgetvalue(res, i, 4), &h, why, 1) == -1)
        h = e->hours->hours;
    if (rank < 0)
        rank = SB_SEVERITY_MEDIUM;
    if (due(e, zone, &h, start, e->remind_after_ms[rank], remind, why, sizeof(why)) == -1 ||
        due(e, zone, &h, start, e->escalate_after_ms[rank], escalate, why, sizeof(why)) == -1) {
        sb_log_kv(SB_LOG_WARN, (sb_log_kv_t[]){{"alert_id", PQgetvalue(res, i, 0)}}, 1,
                  "working-time timers: %s; wall time instead", why);
        sb_time_format_us((start + e->escalate_after_ms[rank] / 1000) * 1000000, escalate, 32);
        if (e->remind_after_ms[rank] > 0)
            sb_time_format_us((start + e->remind_after_ms[rank] / 1000) * 1000000, remind, 32);
    }
    const char *p[] = {PQgetvalue(res, i, 0), remind[0] ? remind : NULL, escalate};
    return sb_db_exec(e->db, PLANNED_SQL, 3, p, errstr, errstr_size);
}

int sb_esc_plan(sb_esc_t *e, char *errstr, size_t errstr_size) {
    char rank[16], batch[16];
    const char *params[] = {rank, batch};
    PGresult *res = NULL;
    int rc = -1;

    if (e->hours->max_rank < 0)
        return 0; /* every clock runs in wall time */
    snprintf(rank, sizeof(rank), "%d", e->hours->max_rank);
    snprintf(batch, sizeof(batch), "%d", e->batch);
    if (sb_db_begin(e->db, errstr, errstr_size) == -1)
        return -1;
    if (!(res = sb_db_query(e->db, PLAN_SQL, 2, params, errstr, errstr_size)))
        goto out;
    for (int i = 0; i < PQntuples(res); i++)
        if (plan_row(e, res, i, errstr, errstr_size) == -1)
            goto out;
    if (sb_db_commit(e->db, errstr, errstr_size) == -1)
        goto out;
    rc = PQntuples(res);
out:
    if (rc == -1)
        sb_db_rollback(e->db);
    PQclear(res);
    return rc;
}

static const char *result_of(int sent, const sb_chat_error_t *err) {
    return sent ? "sent" : err->code;
}

int sb_esc_remind(sb_esc_t *e, char *errstr, size_t errstr_size) {
    limits_t buf;
    const char *params[7];
    PGresult *res = NULL;
    int rc = -1, n = 0;

    limits(e, e->remind_after_ms, &buf, params);
    if (sb_db_begin(e->db, errstr, errstr_size) == -1)
        return -1;
    if (!(res = sb_db_query(e->db, REMIND_SQL, 7, params, errstr, errstr_size)))
        goto out;
    for (int i = 0; i < PQntuples(res); i++) {
        const char *id = PQgetvalue(res, i, 0), *title = PQgetvalue(res, i, 3);
        int code = !strcmp(PQgetvalue(res, i, 4), "awaiting_code");
        char text[600];
        sb_chat_error_t err = {0};
        snprintf(text, sizeof(text),
                 code ? "Reminder: I'm still waiting for the 6-digit code from your "
                        "authenticator app, to confirm \"%.*s\". If I don't hear from you, the "
                        "security team will follow up."
                      : "Reminder: could you tell me whether \"%.*s\" (above) was you? If I "
                        "don't hear from you, the security team will follow up.",
                 SB_UTF8_CUT(title, 200));
        int sent = sb_chat_send_text(e->chat, PQgetvalue(res, i, 2), text, NULL, &err) == 0;
        sb_log_kv_t kv[] = {{"alert_id", id}, {"employee", PQgetvalue(res, i, 1)}};
        if (!sent)
            sb_metrics_count(e->metrics, SB_M_CHAT_ERRORS, err.code, 1);
        if (!sent && err.retryable) { /* the next tick tries again */
            sb_log_kv(SB_LOG_WARN, kv, 2, "reminder not sent: %s (retried)", err.msg);
            continue;
        }
        if (!sent)
            sb_log_kv(SB_LOG_WARN, kv, 2, "reminder not sent: %s (not retried)", err.msg);
        const char *p[] = {id, e->worker, result_of(sent, &err)};
        if (sb_db_exec(e->db, REMINDED_SQL, 3, p, errstr, errstr_size) == -1)
            goto out;
        n++;
    }
    if (sb_db_commit(e->db, errstr, errstr_size) == -1)
        goto out;
    rc = n;
out:
    if (rc == -1)
        sb_db_rollback(e->db);
    PQclear(res);
    return rc;
}

/* Queues the no_response escalation request of an expired alert's row. */
static int request_escalation(void *ctx, const PGresult *res, int i, char *errstr,
                              size_t errstr_size) {
    sb_esc_t *e = ctx;
    char now[40];
    const char *id = PQgetvalue(res, i, 0);
    sb_time_format_us(sb_time_now_us(), now, sizeof(now));
    char *msg = sb_message_escalation_request_group(
        id, PQgetvalue(res, i, 1), "no_response", PQgetvalue(res, i, 2), NULL, e->worker, now,
        PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3));
    int rc = msg ? sb_producer_send(e->producer, e->topic_escalation_requests, id, strlen(id), msg,
                                    strlen(msg), errstr, errstr_size)
                 : (snprintf(errstr, errstr_size, "out of memory"), -1);
    free(msg);
    if (rc == 0)
        sb_metrics_count(e->metrics, SB_M_PRODUCED, e->topic_escalation_requests, 1);
    return rc;
}

int sb_esc_expire(sb_esc_t *e, char *errstr, size_t errstr_size) {
    limits_t buf;
    const char *lim[7], *params[8];
    int n;

    limits(e, e->escalate_after_ms, &buf, lim);
    for (int i = 0; i < 5; i++)
        params[i] = lim[i];
    params[5] = e->worker;
    params[6] = lim[5];
    params[7] = lim[6];
    n = sb_publish_rows(e->db, e->producer, EXPIRE_SQL, 8, params, request_escalation, e, errstr,
                        errstr_size);
    if (n > 0)
        sb_log_info("%d silent alert(s): escalation requested (no_response)", n);
    return n;
}

/* Runs one timer step after another until a step finds less than a batch
 * (or BATCHES_A_TICK steps ran). The last step's answer. */
static int steps(sb_esc_t *e, int (*step)(sb_esc_t *, char *, size_t), char *errstr,
                 size_t errstr_size) {
    int n = 0;
    for (int i = 0; i < BATCHES_A_TICK && sb_running; i++)
        if ((n = step(e, errstr, errstr_size)) < e->batch)
            break;
    return n;
}

int sb_esc_tick(sb_esc_t *e, char *errstr_out, size_t errstr_out_size) {
    char errstr[512];
    if (sb_db_ensure(e->db, errstr_out, errstr_out_size) == -1)
        return -1;
    if (steps(e, sb_esc_plan, errstr, sizeof(errstr)) == -1)
        sb_log_warn("working-time timers: %s (next tick retries)", errstr);
    if (steps(e, sb_esc_remind, errstr, sizeof(errstr)) == -1)
        sb_log_warn("reminders: %s (next tick retries)", errstr);
    if (steps(e, sb_esc_expire, errstr, sizeof(errstr)) == -1)
        sb_log_warn("no_response: %s (next tick retries)", errstr);
    if (sb_running && sb_esc_sweep(e, errstr, sizeof(errstr)) == -1)
        sb_log_warn("delivery sweep: %s (next tick retries)", errstr);
    if (sb_running && sb_esc_seal(e, errstr, sizeof(errstr)) == -1)
        sb_log_warn("audit chain: %s (next tick retries)", errstr);
    if (sb_running && sb_esc_digest(e, errstr, sizeof(errstr)) == -1)
        sb_log_warn("digest: %s (next tick retries)", errstr);
    return 0;
}
