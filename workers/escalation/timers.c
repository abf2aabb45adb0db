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

/* Open conversations past their reminder time, sent and not yet reminded. */
static const char *const REMIND_SQL =
    "SELECT a.id, a.employee_id, a.chat_channel, a.title, a.status FROM alerts a"
    " WHERE a.status IN ('prompted', 'awaiting_code') AND a.reminded_at IS NULL"
    "  AND a.chat_ts IS NOT NULL AND " AGE_OVER " ORDER BY a.prompted_at LIMIT $5::int"
    " FOR UPDATE OF a SKIP LOCKED";

/* $1 alert, $2 actor, $3 how it went. */
static const char *const REMINDED_SQL =
    "WITH upd AS (UPDATE alerts SET reminded_at = now(), updated_at = now() WHERE id = $1"
    "  RETURNING id, employee_id)"
    " INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    " SELECT $2, 'reminded', id, employee_id, jsonb_build_object('result', $3::text) FROM upd";

/* Open conversations past their escalation time: no_response. */
static const char *const EXPIRE_SQL =
    "WITH due AS (SELECT a.id FROM alerts a WHERE a.status IN ('prompted', 'awaiting_code')"
    "   AND " AGE_OVER " ORDER BY a.prompted_at LIMIT $5::int FOR UPDATE OF a SKIP LOCKED),"
    " upd AS (UPDATE alerts a SET status = 'escalation_requested', status_reason = 'no_response',"
    "   version = a.version + 1, updated_at = now() FROM due WHERE a.id = due.id"
    "   RETURNING a.id, a.employee_id, a.severity, a.version),"
    " audit AS (INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    "   SELECT $6, 'escalation_requested', id, employee_id,"
    "     jsonb_build_object('reason', 'no_response', 'version', version) FROM upd)"
    " SELECT id, employee_id, severity FROM upd";

/* The four limits and the batch size as text parameters. */
static void limits(const sb_esc_t *e, const int64_t *ms, char buf[5][24], const char *params[5]) {
    for (int i = 0; i < SB_SEVERITY_COUNT; i++) {
        snprintf(buf[i], 24, "%lld", (long long)ms[i]);
        params[i] = ms[i] > 0 ? buf[i] : NULL;
    }
    snprintf(buf[4], 24, "%d", e->batch);
    params[4] = buf[4];
}

static const char *result_of(int sent, const sb_chat_error_t *err) {
    return sent ? "sent" : err->code;
}

int sb_esc_remind(sb_esc_t *e, char *errstr, size_t errstr_size) {
    char buf[5][24];
    const char *params[5];
    PGresult *res = NULL;
    int rc = -1, n = 0;

    limits(e, e->remind_after_ms, buf, params);
    if (sb_db_begin(e->db, errstr, errstr_size) == -1)
        return -1;
    if (!(res = sb_db_query(e->db, REMIND_SQL, 5, params, errstr, errstr_size)))
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
    char *msg = sb_message_escalation_request(id, PQgetvalue(res, i, 1), "no_response",
                                              PQgetvalue(res, i, 2), NULL, e->worker, now);
    int rc = msg ? sb_producer_send(e->producer, e->topic_escalation_requests, id, strlen(id), msg,
                                    strlen(msg), errstr, errstr_size)
                 : (snprintf(errstr, errstr_size, "out of memory"), -1);
    free(msg);
    if (rc == 0)
        sb_metrics_count(e->metrics, SB_M_PRODUCED, e->topic_escalation_requests, 1);
    return rc;
}

int sb_esc_expire(sb_esc_t *e, char *errstr, size_t errstr_size) {
    char buf[5][24];
    const char *params[6];
    int n;

    limits(e, e->escalate_after_ms, buf, params);
    params[5] = e->worker;
    n = sb_publish_rows(e->db, e->producer, EXPIRE_SQL, 6, params, request_escalation, e, errstr,
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
