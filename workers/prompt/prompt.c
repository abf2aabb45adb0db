/* prompt: sb-prompt's decisions: which alert to send an employee, and sending it. */

/* A prompt request only wakes its employee up; PostgreSQL decides what to
 * send. Claiming moves the employee's most urgent queued alert to
 * 'prompted' in one statement; the partial unique index
 * alerts_one_conversation refuses a second open conversation (23505), so
 * "one at a time per employee" holds across replicas without a check in
 * code. Sending then runs in its own transaction that holds the alert's
 * row lock (FOR UPDATE SKIP LOCKED) across the chat call, so two replicas
 * never send the same alert; it ends by recording chat_channel and chat_ts,
 * and an alert with chat_ts set is never sent again. */
#include "prompt.h"
#include "batch.h"
#include "group.h"
#include "sb_message.h"
#include "sb_publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_id.h"
#include "sb_log.h"
#include "sb_time.h"

/* $1 alert id: the next try waits 1 s, 2 s, 4 s... up to 5 min. */
static const char *const BACKOFF_SQL =
    "UPDATE alerts SET prompt_attempts = prompt_attempts + 1,"
    "  prompt_retry_at = now() + least(power(2, prompt_attempts), 300) * interval '1 second'"
    " WHERE id = $1 AND chat_ts IS NULL";

/* $1 alert id, $2 actor, $3 the chat error code. */
static const char *const ESCALATE_SQL =
    "WITH esc AS ("
    "  UPDATE alerts SET status = 'escalation_requested', status_reason = 'unknown_employee',"
    "    version = version + 1, updated_at = now()"
    "  WHERE id = $1 AND status = 'prompted' AND chat_ts IS NULL"
    "  RETURNING id, employee_id, severity, version),"
    " audit AS ("
    "  INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    "  SELECT $2, 'escalation_requested', id, employee_id,"
    "    jsonb_build_object('reason', 'unknown_employee', 'chat_error', $3::text,"
    "                       'version', version) FROM esc)"
    " SELECT employee_id, severity FROM esc";

/* $1 employee id, $2 chat user id, $3 actor. Another employee holding the
 * id already keeps it (the directory is fixed by an operator). */
static const char *const STORE_CHAT_ID_SQL =
    "WITH upd AS ("
    "  UPDATE employees e SET chat_user_id = $2, updated_at = now()"
    "  WHERE e.id = $1 AND e.chat_user_id IS NULL AND NOT EXISTS ("
    "    SELECT 1 FROM employees o WHERE o.chat_platform = e.chat_platform"
    "    AND o.chat_user_id = $2)"
    "  RETURNING e.id)"
    " INSERT INTO audit_log (actor, action, employee_id, detail)"
    " SELECT $3, 'chat_user_id_found', id, jsonb_build_object('chat_user_id', $2::text) FROM upd";

/* $1 age in ms, $2 limit: claims whose send never completed. */
static const char *const UNSENT_SQL =
    "SELECT id FROM alerts WHERE status = 'prompted' AND chat_ts IS NULL"
    "  AND prompted_at < now() - $1::bigint * interval '1 millisecond'"
    "  AND coalesce(prompt_retry_at, '-infinity') <= now()"
    " ORDER BY prompted_at LIMIT $2::int";

/* $1 limit, $2 now, $3 age in ms: employees with waiting alerts and no
 * open conversation; an alert held for working hours waits until its
 * ask_at. An alert queued less than the age ago is left to its own prompt
 * request, which is on its way to some replica: a sweep claiming for the
 * same employees at the same moment made the two replicas' claims collide
 * (23505 and the one-by-one fallback) and lock each other's rows, which a
 * send then skipped (issue 17, section 1). */
static const char *const IDLE_SQL =
    "SELECT DISTINCT q.employee_id FROM alerts q"
    " WHERE q.status = 'queued' AND q.employee_id IS NOT NULL"
    "   AND (q.ask_at IS NULL OR q.ask_at <= $2::timestamptz)"
    "   AND (q.ask_at IS NOT NULL OR q.received_at < now() - $3::bigint * interval '1 millisecond')"
    "   AND NOT EXISTS ("
    "   SELECT 1 FROM alerts o WHERE o.employee_id = q.employee_id"
    "   AND o.status IN ('prompted', 'awaiting_code'))"
    " LIMIT $1::int";

int sb_prompt_init(sb_prompt_t *p, const char *prefix, char *errstr, size_t errstr_size) {
    if (sb_kafka_topic(p->topic_escalation_requests, SB_TOPIC_MAX, prefix,
                       SB_TOPIC_ESCALATION_REQUESTS)) {
        snprintf(errstr, errstr_size, "SECURITYBOT_TOPIC_PREFIX is too long");
        return -1;
    }
    return 0;
}

void sb_prompt_log(sb_log_level_t level, const char *alert_id, const char *employee,
                   const char *reason, const char *msg) {
    sb_log_kv_t kv[] = {{"alert_id", alert_id}, {"employee", employee}, {"reason", reason}};
    sb_log_kv(level, kv, 3, "%s", msg);
}

/* The employee cannot be reached in chat: treated as an unknown employee. */
int sb_prompt_unreachable(const char *code) {
    static const char *const codes[] = {"users_not_found",  "user_not_found", "channel_not_found",
                                        "account_inactive", "user_disabled",  "cannot_dm_bot",
                                        "no_chat_id"};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (!strcmp(code, codes[i]))
            return 1;
    return 0;
}

int sb_prompt_escalate_queue(sb_prompt_t *p, const char *alert_id, const char *code, int *produced,
                             char *errstr, size_t errstr_size) {
    const char *params[] = {alert_id, p->worker, code};
    PGresult *res = sb_db_query(p->db, ESCALATE_SQL, 3, params, errstr, errstr_size);
    char *msg = NULL;
    int rc = -1;

    if (!res)
        return -1;
    if (PQntuples(res) == 1) {
        const char *employee = PQgetvalue(res, 0, 0);
        char now[32];
        sb_time_format_us(sb_time_now_us(), now, sizeof(now));
        if (!(msg = sb_message_escalation_request(alert_id, employee, "unknown_employee",
                                                  PQgetvalue(res, 0, 1), NULL, p->worker, now))) {
            snprintf(errstr, errstr_size, "out of memory");
            goto out;
        }
        if (sb_producer_send(p->producer, p->topic_escalation_requests, alert_id, strlen(alert_id),
                             msg, strlen(msg), errstr, errstr_size) == -1)
            goto out;
        sb_metrics_count(p->metrics, SB_M_PRODUCED, p->topic_escalation_requests, 1);
        sb_prompt_log(SB_LOG_WARN, alert_id, employee, code,
                      "employee unreachable in chat: escalation requested (unknown_employee)");
        *produced = 1;
        /* the alerts of its group: the same employee, as unreachable */
        if (sb_prompt_group_unreachable(p, alert_id, code, produced, errstr, errstr_size) == -1)
            goto out;
    }
    rc = 0;
out:
    free(msg);
    PQclear(res);
    return rc;
}

/* Inside the send transaction: a chat failure that is not the employee's.
 * The claim stays; the sweep retries after a growing delay. */
int sb_prompt_backoff(sb_prompt_t *p, const char *alert_id, const char *employee,
                      const sb_chat_error_t *err, char *errstr, size_t errstr_size) {
    const char *params[] = {alert_id};
    char msg[SB_CHAT_ERRSTR_SIZE + 96];
    int auth = !strcmp(err->code, "invalid_auth") || !strcmp(err->code, "not_authed");
    int mm = !strcmp(sb_chat_platform(p->chat), "mattermost");
    snprintf(msg, sizeof(msg), "%s%s; the sweep retries", err->msg,
             !auth ? ""
             : mm  ? ": check MATTERMOST_BOT_TOKEN"
                   : ": check SLACK_BOT_TOKEN");
    sb_prompt_log(err->retryable ? SB_LOG_WARN : SB_LOG_ERROR, alert_id, employee, err->code, msg);
    return sb_db_exec(p->db, BACKOFF_SQL, 1, params, errstr, errstr_size);
}

int sb_prompt_store_chat_id(sb_prompt_t *p, const char *employee, const char *user, char *errstr,
                            size_t errstr_size) {
    const char *params[] = {employee, user, p->worker};
    return sb_db_exec(p->db, STORE_CHAT_ID_SQL, 3, params, errstr, errstr_size);
}

/* Queues the opted_out escalation request of one alert row (id,
 * employee_id, severity) and logs it. */
int sb_prompt_request_escalation(void *ctx, const PGresult *res, int i, char *errstr,
                                 size_t errstr_size) {
    sb_prompt_t *p = ctx;
    const char *id = PQgetvalue(res, i, 0), *employee = PQgetvalue(res, i, 1);
    char now[32];
    sb_time_format_us(sb_time_now_us(), now, sizeof(now));
    char *msg = sb_message_escalation_request(id, employee, "opted_out", PQgetvalue(res, i, 2),
                                              NULL, p->worker, now);
    int rc = msg ? sb_producer_send(p->producer, p->topic_escalation_requests, id, strlen(id), msg,
                                    strlen(msg), errstr, errstr_size)
                 : (snprintf(errstr, errstr_size, "out of memory"), -1);
    free(msg);
    if (rc == 0)
        sb_prompt_log(SB_LOG_INFO, id, employee, "opted_out",
                      "employee opted out: escalation requested instead of a prompt");
    return rc;
}

/* Escalates the queued alerts of an employee who opted out (none when they
 * did not), publishing each request before COMMIT. 0 or -1. */
static int opted_out(sb_prompt_t *p, const char *one, char *errstr, size_t errstr_size) {
    const char *params[] = {one, p->worker};
    return sb_publish_rows(p->db, p->producer, sb_prompt_opted_out_sql, 2, params,
                           sb_prompt_request_escalation, p, errstr, errstr_size) == -1
               ? -1
               : 0;
}

/* Claims employee's next alert: 1 with alert_id filled, 0 when there is
 * nothing to claim (none queued, or a conversation is open), -1 on a
 * transient database failure. A permanent one is logged and skipped. */
static int claim(sb_prompt_t *p, const char *employee, char alert_id[SB_SHA256_HEX_LEN + 1],
                 char *errstr, size_t errstr_size) {
    sb_prompt_when_t w;
    /* arrays of one for the batch's statements; quoted, so that a
     * malformed id is one bad element (a permanent error), never two */
    char one[64], ask_at[SB_PROMPT_TS_SIZE + 4], claimed[SB_SHA256_HEX_LEN + 3];
    const char *params[] = {one, p->worker, w.max_rank, w.now, ask_at};
    PGresult *res;
    int rc = 0;
    if (strlen(employee) > 32 || strpbrk(employee, "\"\\")) {
        sb_prompt_log(SB_LOG_ERROR, NULL, employee, "database", "not an employee id");
        return 0;
    }
    snprintf(one, sizeof(one), "{\"%s\"}", employee);
    if (opted_out(p, one, errstr, errstr_size) == -1)
        return sb_db_last_class(p->db) == SB_DB_PERMANENT ? 0 : -1;
    if (sb_prompt_when(p, employee, &w, errstr, errstr_size) == -1)
        return sb_db_last_class(p->db) == SB_DB_PERMANENT ? 0 : -1;
    snprintf(ask_at, sizeof(ask_at), "{%s}", w.ask_at);
    res = sb_db_query(p->db, sb_prompt_claim_sql, 5, params, errstr, errstr_size);
    if (!res) {
        if (!strcmp(sb_db_last_sqlstate(p->db), "23505"))
            return 0; /* alerts_one_conversation: the employee is in a conversation */
        if (sb_db_last_class(p->db) == SB_DB_RETRYABLE)
            return -1;
        sb_prompt_log(SB_LOG_ERROR, NULL, employee, "database", errstr);
        return 0;
    }
    if (PQntuples(res) == 1) {
        snprintf(alert_id, SB_SHA256_HEX_LEN + 1, "%s", PQgetvalue(res, 0, 0));
        rc = 1;
    }
    PQclear(res);
    /* the claimed question, or the one open, takes its rule's queued alerts */
    snprintf(claimed, sizeof(claimed), "{%s}", rc ? alert_id : "");
    if (sb_prompt_group_attach(p, one, claimed, errstr, errstr_size) == -1) {
        if (sb_db_last_class(p->db) == SB_DB_RETRYABLE && rc == 0)
            return -1;
        sb_prompt_log(SB_LOG_WARN, NULL, employee, "database", errstr);
    }
    return rc;
}

int sb_prompt_wake(sb_prompt_t *p, const char *employee_id, char *errstr, size_t errstr_size) {
    char alert_id[SB_SHA256_HEX_LEN + 1], why[512];
    const char *ids[] = {alert_id};
    int got;
    if (sb_db_ensure(p->db, errstr, errstr_size) == -1 ||
        (got = claim(p, employee_id, alert_id, errstr, errstr_size)) == -1)
        return -1;
    /* The claim is durable: from here on a failure is the sweep's to retry. */
    if (got == 1 && sb_prompt_deliver(p, ids, 1, why, sizeof(why)) == -1)
        sb_prompt_log(SB_LOG_WARN, alert_id, employee_id, "database", why);
    return 0;
}

/* The first column of every row of res, borrowed from it; NULL when
 * there is none (or no memory: the next sweep tries again). */
static const char **column(PGresult *res) {
    const char **v = PQntuples(res) > 0 ? calloc((size_t)PQntuples(res), sizeof(char *)) : NULL;
    for (int i = 0; v && i < PQntuples(res); i++)
        v[i] = PQgetvalue(res, i, 0);
    return v;
}

int sb_prompt_sweep(sb_prompt_t *p, char *errstr, size_t errstr_size) {
    char age[32], limit[16], now[SB_PROMPT_TS_SIZE];
    const char *params[] = {age, limit, now}, *idle[] = {limit, now, age}, **v;
    PGresult *res;
    int rc = 0;

    snprintf(age, sizeof(age), "%lld", (long long)p->resend_after_ms);
    snprintf(limit, sizeof(limit), "%d", p->sweep_limit);
    sb_time_format_us(sb_hours_now(p->hours) * 1000000, now, sizeof(now));
    if (sb_db_ensure(p->db, errstr, errstr_size) == -1)
        return -1;
    /* (a) claimed but never sent: sent again together */
    if (!(res = sb_db_query(p->db, UNSENT_SQL, 2, params, errstr, errstr_size)))
        return -1;
    if ((v = column(res)))
        rc = sb_prompt_deliver(p, v, (size_t)PQntuples(res), errstr, errstr_size);
    free(v);
    PQclear(res);
    if (rc == -1)
        return -1;
    /* (b) waiting alerts whose employee is free: a conversation ended, or
     * a wake-up was lost */
    if (!(res = sb_db_query(p->db, IDLE_SQL, 3, idle, errstr, errstr_size)))
        return -1;
    if ((v = column(res)))
        rc = sb_prompt_wake_batch(p, v, (size_t)PQntuples(res), errstr, errstr_size);
    free(v);
    PQclear(res);
    if (rc == 0 && sb_prompt_group_sweep(p, errstr, errstr_size) == -1)
        return -1;
    return rc;
}
