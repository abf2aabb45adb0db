/* answer: an employee's answer applied to an alert. */

/* The owner check, the second factor, the transition (sb_conv_decide)
 * written under the alert's version, its audit line, and the escalation
 * request and outcome it causes. Runs inside the caller's transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "answer_factor.h"
#include "duo.h"
#include "group.h"
#include "sb_log.h"
#include "sb_message.h"
#include "sb_publish.h"
#include "sb_time.h"
#include "sb_totp.h"

/* The alert, locked; columns as the enum below. By id, or (employee) the
 * open conversation, which alerts_one_conversation makes unique. */
#define ALERT_COLUMNS                                                                              \
    "SELECT a.id, a.employee_id, a.status, a.version, a.code_failures, a.severity, a.rule,"        \
    "  a.title, a.description, a.details::text,"                                                   \
    "  to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"               \
    "  a.chat_channel, a.chat_ts, a.group_id FROM alerts a"
static const char *const ALERT_BY_ID_SQL = ALERT_COLUMNS " WHERE a.id = $1 FOR UPDATE";
static const char *const ALERT_OPEN_SQL =
    ALERT_COLUMNS " WHERE a.employee_id = $1::bigint AND a.status IN ('prompted', 'awaiting_code')"
                  " FOR UPDATE";
enum {
    A_ID,
    A_EMPLOYEE,
    A_STATUS,
    A_VERSION,
    A_FAILURES,
    A_SEVERITY,
    A_RULE,
    A_TITLE,
    A_DESCRIPTION,
    A_DETAILS,
    A_OCCURRED,
    A_CHANNEL,
    A_TS,
    A_GROUP
};

/* $1 id, $2 version read, $3 status, $4 reason, $5 answer, $6 comment,
 * $7 second factor, $8 code failures, $9 outcome, $10 ms until the
 * outcome is due, $11 second factor method. */
static const char *const TRANSITION_SQL =
    "UPDATE alerts SET status = $3, status_reason = coalesce($4, status_reason),"
    "  answer = coalesce($5, answer),"
    "  answered_at = CASE WHEN $5::text IS NULL THEN answered_at"
    "                ELSE coalesce(answered_at, now()) END,"
    "  comment = coalesce($6, comment), second_factor = coalesce($7, second_factor),"
    "  second_factor_method = coalesce($11, second_factor_method),"
    "  code_failures = $8::int, outcome = coalesce($9, outcome),"
    "  decided_at = CASE WHEN $9::text IS NULL THEN decided_at ELSE now() END,"
    "  outcome_due_at = CASE WHEN $9::text IS NULL THEN outcome_due_at"
    "                   ELSE now() + $10::bigint * interval '1 millisecond' END,"
    "  version = version + 1, updated_at = now()"
    " WHERE id = $1 AND version = $2::int RETURNING version";

/* $1 employee id: the sealed secret (hex) and the last accepted step,
 * locked so that two codes of one employee are checked one at a time. */
static const char *const SECRET_SQL =
    "SELECT encode(totp_secret_enc, 'hex'), totp_last_step FROM employees"
    " WHERE id = $1::bigint FOR UPDATE";
static const char *const STEP_SQL =
    "UPDATE employees SET totp_last_step = $2::bigint, updated_at = now() WHERE id = $1::bigint"
    " AND coalesce(totp_last_step, -1) < $2::bigint";

/* Up to $1 outcomes that are due, not being published by another
 * replica: taken (outcome_due_at cleared) and returned with what they
 * carry, in one statement. A member of a group (issue 16) carries its
 * leader's words and prompted_at when it has none of its own. */
#define LEADER_COMMENT  "(SELECT g.comment FROM alerts g WHERE g.id = a.group_id)"
#define LEADER_PROMPTED "(SELECT g.prompted_at FROM alerts g WHERE g.id = a.group_id)"
static const char *const DUE_SQL =
    "UPDATE alerts a SET outcome_due_at = NULL"
    " FROM (SELECT id FROM alerts WHERE outcome_due_at <= now() ORDER BY outcome_due_at"
    "       LIMIT $1::int FOR UPDATE SKIP LOCKED) d"
    " WHERE a.id = d.id"
    " RETURNING a.outcome, a.employee_id, a.answer, coalesce(a.comment, " LEADER_COMMENT "),"
    "  a.second_factor, a.rule, a.severity,"
    "  to_char(a.decided_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    "  to_char(coalesce(a.prompted_at, " LEADER_PROMPTED ") AT TIME ZONE 'UTC',"
    "          'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    "  to_char(a.answered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
    "  a.second_factor_method, a.id, a.group_id";

static const char *value(const PGresult *res, int row, int col) {
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

/* sb_publish_rows' callback: one due outcome (DUE_SQL's row) queued. */
static int publish_outcome(void *ctx, const PGresult *res, int i, char *errstr,
                           size_t errstr_size) {
    sb_response_t *r = ctx;
    const char *alert_id = PQgetvalue(res, i, 11);
    char *msg = NULL;
    sb_message_outcome_t o = {
        .alert_id = alert_id,
        .outcome = value(res, i, 0),
        .employee_id = value(res, i, 1),
        .answer = value(res, i, 2),
        .comment = value(res, i, 3),
        .second_factor = value(res, i, 4),
        .rule = value(res, i, 5),
        .severity = value(res, i, 6),
        .decided_at = value(res, i, 7),
        .prompted_at = value(res, i, 8),
        .answered_at = value(res, i, 9),
        .second_factor_method = value(res, i, 10),
        .group_id = value(res, i, 12),
    };
    if (!(msg = sb_message_outcome(&o))) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    int rc = sb_producer_send(r->producer, r->topic_outcomes, alert_id, strlen(alert_id), msg,
                              strlen(msg), errstr, errstr_size);
    free(msg);
    if (rc == -1)
        return -1;
    sb_metrics_count(r->metrics, SB_M_PRODUCED, r->topic_outcomes, 1);
    sb_log_kv_t kv[] = {{"alert_id", alert_id}, {"employee", o.employee_id}};
    sb_log_kv(SB_LOG_INFO, kv, 2, "outcome %s published", o.outcome);
    return 0;
}

int sb_answer_publish_due(sb_response_t *r, int limit, char *errstr, size_t errstr_size) {
    char n[16];
    const char *params[] = {n};
    snprintf(n, sizeof(n), "%d", limit);
    return sb_publish_rows(r->db, r->producer, DUE_SQL, 1, params, publish_outcome, r, errstr,
                           errstr_size);
}

int sb_answer_check_code(sb_turn_t *t, const char *code, char *errstr, size_t errstr_size) {
    sb_response_t *r = t->r;
    const char *params[] = {t->employee, NULL};
    unsigned char sealed[SB_TOTP_SEALED_LEN], secret[SB_TOTP_SECRET_LEN];
    char step[32];
    int64_t matched, last = -1;
    int rc = -2;
    PGresult *res = sb_db_query(r->db, SECRET_SQL, 1, params, errstr, errstr_size);

    if (!res)
        return -1;
    const char *hex = PQntuples(res) == 1 && !PQgetisnull(res, 0, 0) ? PQgetvalue(res, 0, 0) : "";
    if (!r->has_key || strlen(hex) != 2 * sizeof(sealed)) {
        snprintf(errstr, errstr_size, "%s",
                 r->has_key ? "the stored secret has the wrong length"
                            : "SECURITYBOT_SECRET_KEY_FILE is not set: codes cannot be checked");
        goto out;
    }
    for (size_t i = 0; i < sizeof(sealed); i++)
        sealed[i] = (unsigned char)(sb_hex_value(hex[2 * i]) << 4 | sb_hex_value(hex[2 * i + 1]));
    if (!PQgetisnull(res, 0, 1))
        last = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
    if (sb_totp_open(r->key, t->employee, sealed, sizeof(sealed), secret) == -1) {
        snprintf(errstr, errstr_size, "the stored secret does not open with the configured key");
        goto out;
    }
    rc = sb_totp_verify(secret, sizeof(secret), code, sb_time_now_us() / 1000000, last, &matched)
             ? 0
             : 1;
    sb_crypto_wipe(secret, sizeof(secret));
    if (rc == 1) {
        snprintf(step, sizeof(step), "%lld", (long long)matched);
        params[1] = step;
        if (sb_db_exec(r->db, STEP_SQL, 2, params, errstr, errstr_size) == -1)
            rc = -1;
    }
out:
    sb_crypto_wipe(sealed, sizeof(sealed));
    PQclear(res);
    return rc;
}

/* What the employee sees after the transition: a reply, and the prompt's
 * buttons replaced by the answer. */
static void say(sb_turn_t *t, const sb_conv_result_t *res, int has_comment) {
    static const char *const updates[] = {
        [SB_CONV_ASK_CODE] = "You answered: *yes, this was me*. Waiting for your code…",
        [SB_CONV_CONFIRMED] = "You confirmed this was you. Thank you!",
        [SB_CONV_UNVERIFIED] = "You confirmed this was you. Thank you!",
        [SB_CONV_DENIED] = "You answered: *no, this wasn't me*. The security team has been told.",
        [SB_CONV_CODE_FAILED] = "The code did not match three times: the security team will "
                                "follow up.",
        [SB_CONV_ASK_PUSH] = "You answered: *yes, this was me*. Waiting for your Duo push…",
        [SB_CONV_REPORTED_FRAUD] = "The Duo push was reported as fraud: the security team is on "
                                   "it.",
        [SB_CONV_BYPASSED] = "You confirmed this was you. Thank you!",
        [SB_CONV_REUSED] = "You confirmed this was you. Thank you!",
        [SB_CONV_UNAVAILABLE] = "You confirmed this was you; Duo could not be reached, so the "
                                "security team will double-check.",
        [SB_CONV_LOCKED_OUT] = "Too many second factors failed in the past hour: the security "
                               "team will follow up.",
        [SB_CONV_WRONG_EMPLOYEE] = "You answered: *not me, wrong person*. The security team "
                                   "will find out who this is about.",
    };
    switch (res->action) {
    case SB_CONV_REFUSE_NOT_OWNER:
        sb_turn_reply(t, "That alert is about someone else, so I can't take your answer.");
        break;
    case SB_CONV_REFUSE_CLOSED: sb_turn_reply(t, "That one is already answered. Thank you!"); break;
    case SB_CONV_REFUSE_NOT_OPEN:
        sb_turn_reply(t, "I haven't asked you about that one yet.");
        break;
    case SB_CONV_NO_CODE_EXPECTED:
        sb_turn_reply(t, "I'm not waiting for a code from you right now.");
        break;
    case SB_CONV_CODE_STILL_DUE:
    case SB_CONV_ASK_CODE:
        sb_turn_reply(t, "Thanks! To make sure it's really you, please reply with the 6-digit "
                         "code from your authenticator app.");
        break;
    case SB_CONV_CONFIRMED: sb_turn_reply(t, "Thank you, that's all I needed."); break;
    case SB_CONV_UNVERIFIED:
        sb_turn_reply(t, "Thank you. You have no second factor enrolled yet, so the security "
                         "team will double-check this one.");
        break;
    case SB_CONV_DENIED:
        sb_turn_reply(t, has_comment ? "Thank you for telling us. The security team is on it "
                                       "now, with your note."
                                     : "Thank you for telling us. The security team is on it "
                                       "now. If you can, reply with a few words about what you "
                                       "think happened.");
        break;
    case SB_CONV_CODE_RETRY:
        sb_turn_reply(t,
                      "That code didn't work. Please send the current code from your "
                      "authenticator app (%d %s left).",
                      SB_CONV_MAX_CODE_FAILURES - res->code_failures,
                      SB_CONV_MAX_CODE_FAILURES - res->code_failures == 1 ? "try" : "tries");
        break;
    case SB_CONV_CODE_FAILED:
        sb_turn_reply(t, res->second_factor_method && !strcmp(res->second_factor_method, "duo_push")
                             ? "The Duo push was not approved. I've asked the security team to "
                               "follow up with you."
                             : "That code didn't work either. I've asked the security team to "
                               "follow up with you.");
        break;
    case SB_CONV_ASK_PUSH:
        sb_turn_reply(t, "Thanks! To make sure it's really you, I'm sending a Duo push to your "
                         "phone: please approve it.");
        break;
    case SB_CONV_PUSH_RETRY:
        sb_turn_reply(t,
                      "The Duo push timed out. Reply *push* for another one, or with a Duo "
                      "passcode (%d %s left).",
                      SB_CONV_MAX_CODE_FAILURES - res->code_failures,
                      SB_CONV_MAX_CODE_FAILURES - res->code_failures == 1 ? "try" : "tries");
        break;
    case SB_CONV_REPORTED_FRAUD:
        sb_turn_reply(t, "You reported the Duo push as fraud. The security team is on it now.");
        break;
    case SB_CONV_BYPASSED:
    case SB_CONV_REUSED: sb_turn_reply(t, "Thank you, that's all I needed."); break;
    case SB_CONV_UNAVAILABLE:
        sb_turn_reply(t, "I couldn't reach Duo to check it's you, so the security team will "
                         "double-check this one.");
        break;
    case SB_CONV_LOCKED_OUT:
        sb_turn_reply(t, "Too many second factors failed for you in the past hour, so I can't "
                         "check this one. I've asked the security team to follow up with you.");
        break;
    case SB_CONV_WRONG_EMPLOYEE:
        /* "not me" also reads as "I didn't do it": say what was recorded */
        sb_turn_reply(t, has_comment
                             ? "Thank you: I've told the security team this alert isn't about "
                               "you, with your note, so they can fix who it goes to."
                             : "Thank you: I've told the security team this alert isn't about "
                               "you, so they can fix who it goes to. If you can, reply with a few "
                               "words (who it might be about, or why it isn't you). If someone "
                               "used *your* account, tell them that too.");
        break;
    }
    if ((size_t)res->action < sizeof(updates) / sizeof(updates[0]) && updates[res->action] &&
        !t->update_text)
        t->update_text = strdup(updates[res->action]);
    /* a wrong TOTP code: the message offers the code modal again */
    if (res->action == SB_CONV_CODE_RETRY && !t->duo && !t->update_text) {
        t->update_text = strdup("That code didn't work. Please send the current one.");
        t->update_enter_code = 1;
    }
}

/* A "no" or a "not me" without words: the employee is asked for a few,
 * and the outcome waits for them (SECURITYBOT_COMMENT_WINDOW). */
static int waits_for_words(const sb_conv_result_t *res, const char *comment) {
    return !comment && (res->action == SB_CONV_DENIED || res->action == SB_CONV_WRONG_EMPLOYEE);
}

/* Writes the transition under the version read; 0, or -1 (a version that
 * moved is reported as a retryable conflict). */
static int transition(sb_turn_t *t, PGresult *row, const sb_conv_result_t *res, const char *comment,
                      char *errstr, size_t errstr_size) {
    char failures[16], due[32];
    int deferred = waits_for_words(res, comment);
    snprintf(failures, sizeof(failures), "%d", res->code_failures);
    /* a "no" or a "not me" without words waits a little for them before its outcome */
    snprintf(due, sizeof(due), "%lld", deferred ? (long long)t->r->comment_window_ms : 0LL);
    const char *params[] = {PQgetvalue(row, 0, A_ID),
                            PQgetvalue(row, 0, A_VERSION),
                            res->status,
                            res->status_reason,
                            res->answer,
                            comment,
                            res->second_factor,
                            failures,
                            res->outcome,
                            due,
                            res->second_factor_method};
    PGresult *upd = sb_db_query(t->r->db, TRANSITION_SQL, 11, params, errstr, errstr_size);
    int rc = -1;
    if (!upd)
        return -1;
    if (PQntuples(upd) != 1) {
        snprintf(errstr, errstr_size, "alert %s changed under us (version %s); retrying", params[0],
                 params[1]);
        goto out;
    }
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "event_id", t->event_id);
    cJSON_AddStringToObject(d, "from", PQgetvalue(row, 0, A_STATUS));
    cJSON_AddStringToObject(d, "to", res->status);
    cJSON_AddNumberToObject(d, "version", atoi(PQgetvalue(upd, 0, 0)));
    if (res->action == SB_CONV_CODE_RETRY || res->action == SB_CONV_CODE_FAILED)
        cJSON_AddNumberToObject(d, "code_failures", res->code_failures);
    if (res->escalate)
        cJSON_AddStringToObject(d, "escalation_reason", res->escalate);
    if (res->action == SB_CONV_REUSED)
        cJSON_AddStringToObject(d, "reused_from", t->reused_from);
    rc = sb_turn_audit(t, sb_conv_action_name(res->action), params[0], d, errstr, errstr_size);
out:
    PQclear(upd);
    return rc;
}

/* The escalation request the transition asks for. */
static int escalate(sb_turn_t *t, PGresult *row, const char *reason, const char *comment,
                    char *errstr, size_t errstr_size) {
    const char *alert_id = PQgetvalue(row, 0, A_ID);
    char now[40];
    sb_time_format_us(sb_time_now_us(), now, sizeof(now));
    /* a push reported as fraud is someone else holding the credentials */
    const char *severity =
        !strcmp(reason, "reported_fraud") ? "critical" : PQgetvalue(row, 0, A_SEVERITY);
    char *msg = sb_message_escalation_request_group(
        alert_id, t->employee, reason, severity, comment, t->r->worker, now,
        PQgetisnull(row, 0, A_GROUP) ? NULL : PQgetvalue(row, 0, A_GROUP));
    int rc;
    if (!msg) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    rc = sb_producer_send(t->r->producer, t->r->topic_escalation_requests, alert_id,
                          strlen(alert_id), msg, strlen(msg), errstr, errstr_size);
    free(msg);
    if (rc == 0) {
        sb_metrics_count(t->r->metrics, SB_M_PRODUCED, t->r->topic_escalation_requests, 1);
        sb_log_kv_t kv[] = {{"alert_id", alert_id}, {"employee", t->employee}, {"reason", reason}};
        sb_log_kv(SB_LOG_INFO, kv, 3, "escalation requested");
    }
    return rc;
}

/* A refusal: audited (who tried what on which alert), nothing changed. */
static int refuse(sb_turn_t *t, const char *alert_id, const sb_conv_result_t *res,
                  const char *status, char *errstr, size_t errstr_size) {
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "event_id", t->event_id);
    cJSON_AddStringToObject(d, "chat_user_id", t->chat_user);
    if (status)
        cJSON_AddStringToObject(d, "status", status);
    if (res->action == SB_CONV_REFUSE_NOT_OWNER) {
        sb_log_kv_t kv[] = {{"alert_id", alert_id}, {"employee", t->employee}};
        sb_log_kv(SB_LOG_WARN, kv, 2, "answer refused: chat user %s does not own the alert",
                  t->chat_user);
    }
    return sb_turn_audit(t, sb_conv_action_name(res->action), alert_id, d, errstr, errstr_size);
}

/* No such alert, or no open one: says so and audits the refusal. */
static int no_alert(sb_turn_t *t, const char *alert_id, sb_conv_event_t event, const char *code,
                    char *errstr, size_t errstr_size) {
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "event_id", t->event_id);
    cJSON_AddStringToObject(d, "reason", alert_id ? "unknown_alert" : "no_open_alert");
    if (code || event == SB_CONV_CODE_RIGHT)
        sb_turn_reply(t, "I'm not waiting for a code from you right now.");
    else
        sb_turn_reply(t, alert_id ? "I don't know that alert."
                                  : "There is nothing I'm waiting for you to answer. "
                                    "Thank you!");
    return sb_turn_audit(t, "answer_refused", alert_id, d, errstr, errstr_size);
}

/* The event a code stands for; it is checked only where the machine would
 * take it. 0 with *event set; 1 when codes cannot be checked now (the
 * employee was told); -1 on a failure. */
static int code_event(sb_turn_t *t, const sb_conv_state_t *st, const char *id, const char *code,
                      sb_conv_event_t *event, char *errstr, size_t errstr_size) {
    sb_conv_result_t res;
    int ok;
    sb_conv_decide(st, SB_CONV_CODE_WRONG, &res);
    if (res.action != SB_CONV_CODE_RETRY && res.action != SB_CONV_CODE_FAILED) {
        *event = SB_CONV_CODE_WRONG;
        return 0;
    }
    if ((ok = sb_answer_check_code(t, code, errstr, errstr_size)) == -1)
        return -1;
    if (ok == -2) {
        sb_log_kv_t kv[] = {{"alert_id", id}, {"employee", t->employee}};
        sb_log_kv(SB_LOG_ERROR, kv, 2, "cannot check the code: %s", errstr);
        sb_turn_reply(t, "I can't check codes right now; the security team will follow "
                         "up if needed. Sorry!");
        return 1;
    }
    *event = ok ? SB_CONV_CODE_RIGHT : SB_CONV_CODE_WRONG;
    return 0;
}

/* The method of a failed second factor, counted towards SECURITYBOT_2FA_MAX_FAILURES:
 * a wrong code or passcode, a push denied or reported as fraud (a push
 * that timed out is no guess); NULL for anything else. */
static const char *failure_of(sb_conv_event_t event) {
    switch (event) {
    case SB_CONV_CODE_WRONG: return "totp";
    case SB_CONV_PASSCODE_WRONG: return "duo_passcode";
    case SB_CONV_PUSH_DENIED:
    case SB_CONV_PUSH_FRAUD: return "duo_push";
    default: return NULL;
    }
}

/* The reply goes to the alert's DM (empty when it has none yet). */
static void reply_in_alert_dm(sb_turn_t *t, PGresult *row) {
    snprintf(t->reply_channel, sizeof(t->reply_channel), "%s",
             PQgetisnull(row, 0, A_CHANNEL) ? "" : PQgetvalue(row, 0, A_CHANNEL));
}

/* After the transition: what to do after COMMIT, the log line, the reply.
 * Takes *row (sets it NULL) when the prompt is to be updated after COMMIT. */
static void transitioned(sb_turn_t *t, PGresult **row, const char *status,
                         const sb_conv_result_t *res, const char *comment) {
    const char *id = PQgetvalue(*row, 0, A_ID);
    if (res->escalate)
        t->produced = 1;
    /* The transition made the outcome due (outcome_due_at); it is published
     * after COMMIT, from what was committed. Published before, a crash
     * before COMMIT would leave on the topic an outcome that never happened:
     * the redelivered event may decide otherwise (a code gone stale, the
     * no_response timer fired meanwhile). */
    if (res->outcome && !waits_for_words(res, comment))
        t->outcome_due = 1;
    {
        sb_log_kv_t kv[] = {{"alert_id", id}, {"employee", t->employee}};
        sb_log_kv(SB_LOG_INFO, kv, 2, "%s -> %s (%s)", status, res->status,
                  sb_conv_action_name(res->action));
    }
    say(t, res, comment != NULL);
    reply_in_alert_dm(t, *row);
    if (res->action == SB_CONV_LOCKED_OUT) {
        free(t->notice);
        t->notice = NULL;
        char text[512];
        snprintf(text, sizeof(text),
                 "%s is locked out of second factors (at least %d failed in the past hour): "
                 "alert %.64s escalated as second_factor_locked",
                 t->username[0] ? t->username : t->employee, t->r->max_failures, id);
        t->notice = strdup(text);
    }
    if (t->trigger_id && (res->action == SB_CONV_ASK_CODE || waits_for_words(res, comment))) {
        snprintf(t->ask, sizeof(t->ask), "%s", id);
        t->ask_what = res->action == SB_CONV_ASK_CODE ? "code" : "words";
        t->ask_not_me = res->action == SB_CONV_WRONG_EMPLOYEE;
    }
    if (res->outcome || res->action == SB_CONV_CODE_FAILED)
        t->wake = 1;
    if (t->update_text && !PQgetisnull(*row, 0, A_TS)) {
        t->update_row = *row; /* kept for the update after COMMIT */
        *row = NULL;
    }
}

int sb_answer_apply(sb_turn_t *t, const char *alert_id, sb_conv_event_t event, const char *comment,
                    const char *code, char *errstr, size_t errstr_size) {
    sb_response_t *r = t->r;
    if (code && t->duo && !t->locked)
        return sb_answer_duo_passcode(t, code, errstr, errstr_size);
    const char *params[] = {alert_id ? alert_id : t->employee};
    PGresult *row = sb_db_query(r->db, alert_id ? ALERT_BY_ID_SQL : ALERT_OPEN_SQL, 1, params,
                                errstr, errstr_size);
    sb_conv_result_t res;
    int rc = -1;

    if (!row)
        return -1;
    if (PQntuples(row) != 1) {
        rc = no_alert(t, alert_id, event, code, errstr, errstr_size);
        goto out;
    }
    const char *id = PQgetvalue(row, 0, A_ID), *status = PQgetvalue(row, 0, A_STATUS);
    sb_conv_state_t st = {
        .status = status,
        .owner = !PQgetisnull(row, 0, A_EMPLOYEE) &&
                 !strcmp(PQgetvalue(row, 0, A_EMPLOYEE), t->employee),
        .enrolled = t->enrolled,
        .require_2fa = r->require_2fa,
        .code_failures = atoi(PQgetvalue(row, 0, A_FAILURES)),
        .duo = t->duo,
    };
    /* past the hourly limit: neither a code checked nor a push sent */
    if (t->locked && ((code && !strcmp(status, "awaiting_code")) ||
                      (event == SB_CONV_CONFIRM && !strcmp(status, "prompted")))) {
        event = SB_CONV_LOCKED;
        code = NULL;
    }
    if (code && (rc = code_event(t, &st, id, code, &event, errstr, errstr_size)) != 0) {
        rc = rc == 1 ? 0 : -1;
        goto out;
    }
    rc = -1;
    if (event == SB_CONV_CONFIRM && !strcmp(status, "prompted") &&
        (st.reusable =
             sb_answer_reusable(t, PQgetvalue(row, 0, A_SEVERITY), errstr, errstr_size)) == -1)
        goto out;
    sb_conv_decide(&st, event, &res);
    /* a click asking for a TOTP code: the code modal, out of the chat history */
    if (t->trigger_id && !t->duo &&
        (res.action == SB_CONV_ASK_CODE || res.action == SB_CONV_CODE_STILL_DUE))
        snprintf(t->modal_alert, sizeof(t->modal_alert), "%s", id);
    if (!res.changes && sb_conv_duo_event(event)) { /* the employee moved on: nothing to say */
        rc = refuse(t, id, &res, status, errstr, errstr_size);
        goto out;
    }
    if (!res.changes) {
        rc = refuse(t, id, &res, status, errstr, errstr_size);
        say(t, &res, 0);
        /* a refusal to a non-owner goes to the sender's own DM, never the owner's */
        if (res.action != SB_CONV_REFUSE_NOT_OWNER)
            reply_in_alert_dm(t, row);
        goto out;
    }
    if (transition(t, row, &res, comment, errstr, errstr_size) == -1 ||
        (failure_of(event) &&
         sb_answer_count_failure(t, failure_of(event), id, NULL, errstr, errstr_size) == -1) ||
        (res.escalate && escalate(t, row, res.escalate, comment, errstr, errstr_size) == -1) ||
        (res.action == SB_CONV_ASK_PUSH &&
         sb_duo_push_request(r->db, id, t->employee, t->duo_username, errstr, errstr_size) == -1) ||
        sb_group_close(t, id, res.status, sb_conv_action_name(res.action), res.escalate, comment,
                       errstr, errstr_size) == -1)
        goto out;
    t->duo_retry = res.action == SB_CONV_PUSH_RETRY || (t->duo && res.action == SB_CONV_CODE_RETRY);
    transitioned(t, &row, status, &res, comment);
    rc = 0;
out:
    PQclear(row);
    return rc;
}
