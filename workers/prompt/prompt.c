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
#include "sb_message.h"
#include "sb_publish.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "sb_id.h"
#include "sb_log.h"
#include "sb_time.h"

/* $1 employee id, $2 actor. Severity first, then time, then id. $3..$5
 * (hold.c): the highest rank that waits for working hours, now, and when
 * the employee's working hours allow asking (now when they are working).
 * Outside them, alerts of that rank or below are held (ask_at) and the
 * next of the others is claimed: a held alert never blocks a higher one. */
#define RANK                                                                                       \
    "CASE severity WHEN 'critical' THEN 3 WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END"
static const char *const CLAIM_SQL =
    "WITH next AS ("
    "  SELECT id FROM alerts WHERE employee_id = $1::bigint AND status = 'queued'"
    "  AND (" RANK " > $3::int OR $5::timestamptz <= $4::timestamptz)"
    "  ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2"
    "           ELSE 3 END, occurred_at, id"
    "  LIMIT 1 FOR UPDATE SKIP LOCKED),"
    " held AS ("
    "  UPDATE alerts SET ask_at = $5::timestamptz, updated_at = now()"
    "  WHERE employee_id = $1::bigint AND status = 'queued' AND " RANK " <= $3::int"
    "    AND $5::timestamptz > $4::timestamptz AND ask_at IS DISTINCT FROM $5::timestamptz"
    "  RETURNING id, employee_id, ask_at),"
    " held_audit AS ("
    "  INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    "  SELECT $2, 'prompt_held', id, employee_id, jsonb_build_object('ask_at', ask_at)"
    "  FROM held),"
    " claimed AS ("
    "  UPDATE alerts a SET status = 'prompted', prompted_at = now(), version = a.version + 1,"
    "    updated_at = now()"
    "  FROM next WHERE a.id = next.id AND a.status = 'queued'"
    "  RETURNING a.id, a.employee_id, a.version),"
    " audit AS ("
    "  INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    "  SELECT $2, 'prompt_claimed', id, employee_id, jsonb_build_object('version', version)"
    "  FROM claimed)"
    " SELECT id FROM claimed";

/* $1 employee id, $2 actor: an employee who opted out after their alerts
 * were queued is not asked; those alerts go to the security team. */
static const char *const OPTED_OUT_SQL =
    "WITH esc AS ("
    "  UPDATE alerts a SET status = 'escalation_requested', status_reason = 'opted_out',"
    "    version = a.version + 1, updated_at = now()"
    "  FROM employees e WHERE e.id = $1::bigint AND e.opted_out"
    "    AND a.employee_id = e.id AND a.status = 'queued'"
    "  RETURNING a.id, a.employee_id, a.severity, a.version),"
    " audit AS ("
    "  INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    "  SELECT $2, 'escalation_requested', id, employee_id,"
    "    jsonb_build_object('reason', 'opted_out', 'version', version) FROM esc)"
    " SELECT id, employee_id, severity FROM esc";

/* $1 alert id: the claimed, unsent alert, locked for the send. */
static const char *const LOCK_SQL =
    "SELECT a.title, a.description, a.details::text,"
    "  to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "  a.employee_id, e.username, e.email, e.chat_user_id, a.severity, a.rule,"
    "  EXISTS (SELECT 1 FROM alerts o WHERE o.employee_id = a.employee_id AND o.id <> a.id"
    "          AND o.chat_ts IS NOT NULL AND o.prompted_at > now() - interval '1 hour')"
    /* by id first: planned from the statistics of an empty conversation
     * index, the join scanned all of alerts_one_conversation */
    " FROM (SELECT * FROM alerts WHERE id = $1 FOR UPDATE SKIP LOCKED) a"
    " JOIN employees e ON e.id = a.employee_id"
    " WHERE a.status = 'prompted' AND a.chat_ts IS NULL";
enum {
    L_TITLE,
    L_DESCRIPTION,
    L_DETAILS,
    L_OCCURRED,
    L_EMPLOYEE,
    L_USERNAME,
    L_EMAIL,
    L_CHAT_ID,
    L_SEVERITY,
    L_RULE,
    L_RECENT
};

/* $1 alert id, $2 channel, $3 ts, $4 actor. */
static const char *const SENT_SQL =
    "WITH sent AS ("
    "  UPDATE alerts SET chat_channel = $2, chat_ts = $3, version = version + 1,"
    "    updated_at = now()"
    "  WHERE id = $1 AND chat_ts IS NULL RETURNING id, employee_id, version)"
    " INSERT INTO audit_log (actor, action, alert_id, employee_id, detail)"
    " SELECT $4, 'prompt_sent', id, employee_id,"
    "   jsonb_build_object('channel', $2::text, 'ts', $3::text, 'version', version) FROM sent";

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

/* $1 limit, $2 now: employees with waiting alerts and no open
 * conversation; an alert held for working hours waits until its ask_at. */
static const char *const IDLE_SQL =
    "SELECT DISTINCT q.employee_id FROM alerts q"
    " WHERE q.status = 'queued' AND q.employee_id IS NOT NULL"
    "   AND (q.ask_at IS NULL OR q.ask_at <= $2::timestamptz) AND NOT EXISTS ("
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

static void log_alert(sb_log_level_t level, const char *alert_id, const char *employee,
                      const char *reason, const char *msg) {
    sb_log_kv_t kv[] = {{"alert_id", alert_id}, {"employee", employee}, {"reason", reason}};
    sb_log_kv(level, kv, 3, "%s", msg);
}

/* The employee cannot be reached in chat: treated as an unknown employee. */
static int unreachable(const char *code) {
    static const char *const codes[] = {"users_not_found",  "user_not_found", "channel_not_found",
                                        "account_inactive", "user_disabled",  "cannot_dm_bot",
                                        "no_chat_id"};
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
        if (!strcmp(code, codes[i]))
            return 1;
    return 0;
}

/* Inside the send transaction: moves the alert to escalation_requested,
 * publishes the request and waits for Kafka, then commits. Published
 * before COMMIT, so a failure repeats it with the same message_id rather
 * than losing it. 0, or -1 (rolled back by the caller). */
static int escalate(sb_prompt_t *p, const char *alert_id, const char *code, char *errstr,
                    size_t errstr_size) {
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
        log_alert(SB_LOG_WARN, alert_id, employee, code,
                  "employee unreachable in chat: escalation requested (unknown_employee)");
    }
    rc = sb_publish_commit(p->producer, PQntuples(res) == 1, p->db, errstr, errstr_size);
out:
    free(msg);
    PQclear(res);
    return rc;
}

/* Inside the send transaction: a chat failure that is not the employee's.
 * The claim stays; the sweep retries after a growing delay. */
static int keep_claim(sb_prompt_t *p, const char *alert_id, const char *employee,
                      const sb_chat_error_t *err, char *errstr, size_t errstr_size) {
    const char *params[] = {alert_id};
    char msg[SB_CHAT_ERRSTR_SIZE + 96];
    int auth = !strcmp(err->code, "invalid_auth") || !strcmp(err->code, "not_authed");
    int mm = !strcmp(sb_chat_platform(p->chat), "mattermost");
    snprintf(msg, sizeof(msg), "%s%s; the sweep retries", err->msg,
             !auth ? ""
             : mm  ? ": check MATTERMOST_BOT_TOKEN"
                   : ": check SLACK_BOT_TOKEN");
    log_alert(err->retryable ? SB_LOG_WARN : SB_LOG_ERROR, alert_id, employee, err->code, msg);
    if (sb_db_exec(p->db, BACKOFF_SQL, 1, params, errstr, errstr_size) == -1)
        return -1;
    return sb_db_commit(p->db, errstr, errstr_size);
}

/* The employee's chat user id: the directory's, or found by e-mail (and
 * stored). 0, or -1 with *err (code "no_chat_id" when there is no e-mail,
 * "users_not_found" when the platform does not know it), or -2 on a
 * database error. */
static int chat_user(sb_prompt_t *p, PGresult *row, char *out, size_t size, sb_chat_error_t *err,
                     char *errstr, size_t errstr_size) {
    const char *employee = PQgetvalue(row, 0, L_EMPLOYEE);
    int rc;
    if (!PQgetisnull(row, 0, L_CHAT_ID)) {
        snprintf(out, size, "%s", PQgetvalue(row, 0, L_CHAT_ID));
        return 0;
    }
    if (PQgetisnull(row, 0, L_EMAIL) || !*PQgetvalue(row, 0, L_EMAIL))
        return sb_chat_fail(err, 0, "no_chat_id", "employee %s has no chat id and no e-mail",
                            employee);
    rc = sb_chat_lookup_email(p->chat, PQgetvalue(row, 0, L_EMAIL), out, size, err);
    if (rc == 1)
        return sb_chat_fail(err, 0, "users_not_found", "no chat user has employee %s's e-mail",
                            employee);
    if (rc == -1)
        return -1;
    const char *params[] = {employee, out, p->worker};
    if (sb_db_exec(p->db, STORE_CHAT_ID_SQL, 3, params, errstr, errstr_size) == -1)
        return -2;
    return 0;
}

/* Opens the DM and sends the prompt for the locked row; fills ref. */
static int send_prompt(sb_prompt_t *p, const char *alert_id, PGresult *row, const char *user,
                       sb_chat_ref_t *ref, sb_chat_error_t *err) {
    sb_texts_vars_t vars = {PQgetvalue(row, 0, L_USERNAME), PQgetvalue(row, 0, L_RULE),
                            PQgetvalue(row, 0, L_SEVERITY), PQgetvalue(row, 0, L_TITLE)};
    int recent = !strcmp(PQgetvalue(row, 0, L_RECENT), "t");
    char channel[SB_CHAT_CHANNEL_SIZE];
    char *intro = sb_texts_expand(recent ? p->texts->next : p->texts->intro, &vars);
    cJSON *details =
        PQgetisnull(row, 0, L_DETAILS) ? NULL : cJSON_Parse(PQgetvalue(row, 0, L_DETAILS));
    int rc = -1;

    if (!intro) {
        sb_chat_fail(err, 1, "out_of_memory", "out of memory expanding the template");
        goto out;
    }
    if (sb_chat_open_dm(p->chat, user, channel, sizeof(channel), err) == -1)
        goto out;
    sb_chat_prompt_t prompt = {
        .channel = channel,
        .alert_id = alert_id,
        .title = PQgetvalue(row, 0, L_TITLE),
        .description =
            PQgetisnull(row, 0, L_DESCRIPTION) ? NULL : PQgetvalue(row, 0, L_DESCRIPTION),
        .details = cJSON_IsObject(details) ? details : NULL,
        .occurred_at = PQgetvalue(row, 0, L_OCCURRED),
        .intro = intro,
        .chat_user_id = user,
    };
    rc = sb_chat_send_prompt(p->chat, &prompt, ref, err);
out:
    cJSON_Delete(details);
    free(intro);
    return rc;
}

/* Sends claimed alert_id if it is still unsent and nobody else is sending
 * it, and records the outcome. 0 when that outcome is durable (or there
 * was nothing to do), 1 when the platform failed in a way that may pass
 * (the claim is kept, with its retry delay), -1 on a database or Kafka
 * failure (rolled back; the sweep comes back to it). */
static int deliver(sb_prompt_t *p, const char *alert_id, char *errstr, size_t errstr_size) {
    const char *params[] = {alert_id};
    char user[SB_CHAT_CHANNEL_SIZE];
    sb_chat_error_t err = {0};
    sb_chat_ref_t ref;
    PGresult *row = NULL;
    int rc = -1, got;

    if (sb_db_begin(p->db, errstr, errstr_size) == -1)
        return -1;
    if (!(row = sb_db_query(p->db, LOCK_SQL, 1, params, errstr, errstr_size)))
        goto out;
    if (PQntuples(row) == 0) { /* sent, moved on, or being sent by another replica */
        rc = sb_db_commit(p->db, errstr, errstr_size);
        goto out;
    }
    const char *employee = PQgetvalue(row, 0, L_EMPLOYEE);
    got = chat_user(p, row, user, sizeof(user), &err, errstr, errstr_size);
    if (got == -2)
        goto out;
    if (got == 0 && send_prompt(p, alert_id, row, user, &ref, &err) == 0) {
        const char *sent[] = {alert_id, ref.channel, ref.ts, p->worker};
        /* A crash from here to COMMIT sends the prompt again (the sweep). */
        if (sb_db_exec(p->db, SENT_SQL, 4, sent, errstr, errstr_size) == -1)
            goto out;
        if ((rc = sb_db_commit(p->db, errstr, errstr_size)) == 0)
            log_alert(SB_LOG_INFO, alert_id, employee, NULL, "prompt sent");
        goto out;
    }
    sb_metrics_count(p->metrics, SB_M_CHAT_ERRORS, err.code, 1);
    if (!err.retryable && unreachable(err.code))
        rc = escalate(p, alert_id, err.code, errstr, errstr_size);
    else if ((rc = keep_claim(p, alert_id, employee, &err, errstr, errstr_size)) == 0 &&
             err.retryable)
        rc = 1;
out:
    if (rc == -1)
        sb_db_rollback(p->db);
    PQclear(row);
    return rc;
}

/* Queues the opted_out escalation request of one alert row (id,
 * employee_id, severity) and logs it. */
static int request_escalation(void *ctx, const PGresult *res, int i, char *errstr,
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
        log_alert(SB_LOG_INFO, id, employee, "opted_out",
                  "employee opted out: escalation requested instead of a prompt");
    return rc;
}

/* Escalates the queued alerts of an employee who opted out (none when they
 * did not), publishing each request before COMMIT. 0 or -1. */
static int opted_out(sb_prompt_t *p, const char *employee, char *errstr, size_t errstr_size) {
    const char *params[] = {employee, p->worker};
    return sb_publish_rows(p->db, p->producer, OPTED_OUT_SQL, 2, params, request_escalation, p,
                           errstr, errstr_size) == -1
               ? -1
               : 0;
}

/* Claims employee's next alert: 1 with alert_id filled, 0 when there is
 * nothing to claim (none queued, or a conversation is open), -1 on a
 * transient database failure. A permanent one is logged and skipped. */
static int claim(sb_prompt_t *p, const char *employee, char alert_id[SB_SHA256_HEX_LEN + 1],
                 char *errstr, size_t errstr_size) {
    sb_prompt_when_t w;
    const char *params[] = {employee, p->worker, w.max_rank, w.now, w.ask_at};
    PGresult *res;
    int rc = 0;
    if (opted_out(p, employee, errstr, errstr_size) == -1)
        return sb_db_last_class(p->db) == SB_DB_PERMANENT ? 0 : -1;
    if (sb_prompt_when(p, employee, &w, errstr, errstr_size) == -1)
        return sb_db_last_class(p->db) == SB_DB_PERMANENT ? 0 : -1;
    res = sb_db_query(p->db, CLAIM_SQL, 5, params, errstr, errstr_size);
    if (!res) {
        if (!strcmp(sb_db_last_sqlstate(p->db), "23505"))
            return 0; /* alerts_one_conversation: the employee is in a conversation */
        if (sb_db_last_class(p->db) == SB_DB_RETRYABLE)
            return -1;
        log_alert(SB_LOG_ERROR, NULL, employee, "database", errstr);
        return 0;
    }
    if (PQntuples(res) == 1) {
        snprintf(alert_id, SB_SHA256_HEX_LEN + 1, "%s", PQgetvalue(res, 0, 0));
        rc = 1;
    }
    PQclear(res);
    return rc;
}

int sb_prompt_wake(sb_prompt_t *p, const char *employee_id, char *errstr, size_t errstr_size) {
    char alert_id[SB_SHA256_HEX_LEN + 1], why[512];
    int got;
    if (sb_db_ensure(p->db, errstr, errstr_size) == -1 ||
        (got = claim(p, employee_id, alert_id, errstr, errstr_size)) == -1)
        return -1;
    /* The claim is durable: from here on a failure is the sweep's to retry. */
    if (got == 1 && deliver(p, alert_id, why, sizeof(why)) == -1)
        log_alert(SB_LOG_WARN, alert_id, employee_id, "database", why);
    return 0;
}

int sb_prompt_sweep(sb_prompt_t *p, char *errstr, size_t errstr_size) {
    char age[32], limit[16], now[SB_PROMPT_TS_SIZE], alert_id[SB_SHA256_HEX_LEN + 1], why[512];
    const char *params[] = {age, limit, now};
    PGresult *res;
    int rc = 0;

    snprintf(age, sizeof(age), "%lld", (long long)p->resend_after_ms);
    snprintf(limit, sizeof(limit), "%d", p->sweep_limit);
    sb_time_format_us(sb_hours_now(p->hours) * 1000000, now, sizeof(now));
    if (sb_db_ensure(p->db, errstr, errstr_size) == -1)
        return -1;
    /* (a) claimed but never sent */
    if (!(res = sb_db_query(p->db, UNSENT_SQL, 2, params, errstr, errstr_size)))
        return -1;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++)
        rc = deliver(p, PQgetvalue(res, i, 0), errstr, errstr_size);
    PQclear(res);
    if (rc == -1)
        return -1;
    rc = 0; /* 1: the platform is failing; the others wait for the next round */
    /* (b) waiting alerts whose employee is free: a conversation ended, or
     * a wake-up was lost */
    if (!(res = sb_db_query(p->db, IDLE_SQL, 2, params + 1, errstr, errstr_size)))
        return -1;
    for (int i = 0; i < PQntuples(res) && rc == 0; i++) {
        const char *employee = PQgetvalue(res, i, 0);
        int got = claim(p, employee, alert_id, errstr, errstr_size);
        if (got == -1)
            rc = -1;
        else if (got == 1 && deliver(p, alert_id, why, sizeof(why)) == -1)
            log_alert(SB_LOG_WARN, alert_id, employee, "database", why);
    }
    PQclear(res);
    return rc;
}
