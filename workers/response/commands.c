/* commands: what an employee can type besides an answer. */

/* Help, status, test, push, and the few words that explain a "no";
 * ignore <duration>, stop and start go to change.c (they wait for a second
 * factor). Runs inside the caller's transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "commands.h"
#include "group.h"
#include "duo.h"
#include "sb_buf.h"
#include "sb_log.h"
#include "sb_time.h"
#include "sb_utf8.h"

#define STATUS_MAX 10 /* alerts listed by `status` */

/* $1 employee: the open alerts, most urgent first. */
static const char *const STATUS_SQL =
    "SELECT status, severity, title FROM alerts"
    " WHERE employee_id = $1::bigint AND status IN ('queued', 'prompted', 'awaiting_code')"
    " ORDER BY status = 'queued', CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1"
    "          WHEN 'medium' THEN 2 ELSE 3 END, occurred_at LIMIT 11";

/* $1 employee: their test alerts of the past hour. */
static const char *const TESTS_SQL =
    "SELECT count(*) FROM audit_log WHERE employee_id = $1::bigint"
    "  AND action = 'test_alert_requested' AND at > now() - interval '1 hour'";

/* $1 employee, $2 the comment: a "no" or a "not me" in its comment window
 * without words yet. */
static const char *const COMMENT_SQL =
    "UPDATE alerts SET comment = $2, outcome_due_at = now(), version = version + 1,"
    "  updated_at = now()"
    " WHERE id = (SELECT id FROM alerts WHERE employee_id = $1::bigint"
    "             AND outcome IN ('denied', 'wrong_employee')"
    "             AND outcome_due_at IS NOT NULL AND comment IS NULL"
    "             AND (group_id IS NULL OR group_id = id)"
    "             ORDER BY answered_at DESC LIMIT 1 FOR UPDATE)"
    " RETURNING id, version";

static const char *const CODE_HINT =
    "A code has exactly 6 digits. Please send the one your authenticator app shows now.";

static const char *const HELP_TEXT =
    "I'm securitybot: I ask you about unusual activity on your accounts so the security team "
    "knows whether it was you.\n"
    "• Answer a question with its buttons, or write *yes* or *no* (you can add a few words).\n"
    "• *not me*: the question went to the wrong person (it is about someone else, not "
    "you).\n"
    "• After a yes, send the 6-digit code from your authenticator app.\n"
    "• *status*: your open questions.\n"
    "• *ignore 2h*: don't ask me about this kind of alert for a while (at most 4 hours; "
    "after your second factor).\n"
    "• *stop*: don't ask me anymore, my alerts go to the security team; *start*: ask me again "
    "(after your second factor).\n"
    "• *test*: send yourself a test alert.\n"
    "• *push*: another Duo push, when the last one timed out.";

static int status(sb_turn_t *t, char *errstr, size_t errstr_size) {
    const char *params[] = {t->employee};
    PGresult *res = sb_db_query(t->r->db, STATUS_SQL, 1, params, errstr, errstr_size);
    sb_buf_t b = {0};
    int n;
    if (!res)
        return -1;
    n = PQntuples(res);
    if (n == 0) {
        sb_turn_reply(t, "You have no open questions. Thank you!");
    } else {
        char line[64];
        snprintf(line, sizeof(line),
                 "Your open questions (%s%d):", n > STATUS_MAX ? "more than " : "",
                 n > STATUS_MAX ? STATUS_MAX : n);
        sb_buf_add_str(&b, line);
        for (int i = 0; i < n && i < STATUS_MAX; i++) {
            const char *st = PQgetvalue(res, i, 0);
            snprintf(line, sizeof(line), "\n• [%s] ", PQgetvalue(res, i, 1));
            sb_buf_add_str(&b, line);
            sb_buf_add_text(&b, PQgetvalue(res, i, 2), 200, SB_BUF_ONE_LINE);
            const char *what = !strcmp(st, "queued")          ? " (coming up)"
                               : !strcmp(st, "awaiting_code") ? " (waiting for your code)"
                                                              : " (waiting for your answer)";
            sb_buf_add_str(&b, what);
        }
        if (!b.err)
            sb_turn_reply(t, "%s", b.s);
    }
    sb_buf_free(&b);
    PQclear(res);
    return 0;
}

/* A test alert through the whole pipeline: published to the alerts topic
 * like a detector's, with an id derived from the event (a redelivery is
 * the same alert). */
static int test_alert(sb_turn_t *t, char *errstr, size_t errstr_size) {
    const char *params[] = {t->employee};
    PGresult *res = sb_db_query(t->r->db, TESTS_SQL, 1, params, errstr, errstr_size);
    cJSON *o = NULL;
    char now[40], id[320], *msg = NULL;
    int rc = -1;
    if (!res)
        return -1;
    if (atoi(PQgetvalue(res, 0, 0)) >= t->r->test_per_hour) { /* SECURITYBOT_TEST_PER_HOUR */
        PQclear(res);
        sb_turn_reply(t,
                      "You've had %d test alert%s in the past hour already: please try again "
                      "later.",
                      t->r->test_per_hour, t->r->test_per_hour == 1 ? "" : "s");
        cJSON *d = cJSON_CreateObject();
        cJSON_AddStringToObject(d, "event_id", t->event_id);
        cJSON_AddNumberToObject(d, "per_hour", t->r->test_per_hour);
        return sb_turn_audit(t, "test_alert_refused", NULL, d, errstr, errstr_size);
    }
    PQclear(res);
    o = cJSON_CreateObject();
    sb_time_format_us(sb_time_now_us(), now, sizeof(now));
    snprintf(id, sizeof(id), "test:%.256s", t->event_id);
    cJSON_AddStringToObject(o, "source", "securitybot");
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "rule", "securitybot-test");
    cJSON_AddStringToObject(o, "title", "Test alert you asked for");
    cJSON_AddStringToObject(o, "description",
                            "You wrote \"test\" to securitybot. Answer as you like: nothing "
                            "happens to your account either way.");
    cJSON_AddStringToObject(o, "severity", "low");
    cJSON_AddStringToObject(o, "user", t->username);
    cJSON_AddStringToObject(o, "occurred_at", now);
    if (!(msg = cJSON_PrintUnformatted(o))) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    if (sb_producer_send(t->r->producer, t->r->topic_alerts, NULL, 0, msg, strlen(msg), errstr,
                         errstr_size) == -1)
        goto out;
    t->produced = 1;
    sb_turn_reply(t, "A test alert is on its way to you.");
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "event_id", t->event_id);
    rc = sb_turn_audit(t, "test_alert_requested", NULL, d, errstr, errstr_size);
out:
    free(msg);
    cJSON_Delete(o);
    return rc;
}

/* Free text: the explanation of a recent "no", or not understood. */
static int words(sb_turn_t *t, const sb_command_t *cmd, const char *text, char *errstr,
                 size_t errstr_size) {
    const char *params[] = {t->employee, text};
    PGresult *res = sb_db_query(t->r->db, COMMENT_SQL, 2, params, errstr, errstr_size);
    int rc = -1;
    if (!res)
        return -1;
    if (PQntuples(res) == 0) { /* not the words of a "no": a mistyped code gets the hint */
        sb_turn_reply(t, "%s",
                      cmd->code_like ? CODE_HINT : "Sorry, I didn't understand that. Try *help*.");
        rc = 0;
        goto out;
    }
    const char *id = PQgetvalue(res, 0, 0);
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "event_id", t->event_id);
    cJSON_AddNumberToObject(d, "version", atoi(PQgetvalue(res, 0, 1)));
    if (sb_turn_audit(t, "comment_added", id, d, errstr, errstr_size) == -1 ||
        sb_group_words(t, id, errstr, errstr_size) == -1) /* a group's outcomes carry them */
        goto out;
    t->outcome_due = 1; /* the outcome, with the words, goes out after COMMIT */
    sb_turn_reply(t, "Thank you, I've passed that on to the security team.");
    rc = 0;
out:
    PQclear(res);
    return rc;
}

/* Another Duo push for the employee's alert whose push timed out. */
static int push_again(sb_turn_t *t, char *errstr, size_t errstr_size) {
    int rc = t->duo ? sb_duo_push_again(t->r->db, t->employee, errstr, errstr_size) : 0;
    if (rc == 1)
        sb_turn_reply(t, "Sending you another Duo push.");
    else if (rc == 0)
        sb_turn_reply(t, "There is no Duo push to send again right now.");
    return rc == -1 ? -1 : 0;
}

int sb_commands_run(sb_turn_t *t, const sb_command_t *cmd, const char *text, char *errstr,
                    size_t errstr_size) {
    switch (cmd->kind) {
    case SB_CMD_HELP: sb_turn_reply(t, "%s", HELP_TEXT); return 0;
    case SB_CMD_STATUS: return status(t, errstr, errstr_size);
    case SB_CMD_TEST: return test_alert(t, errstr, errstr_size);
    case SB_CMD_PUSH: return push_again(t, errstr, errstr_size);
    case SB_CMD_IGNORE:
    case SB_CMD_STOP:
    case SB_CMD_START: return sb_change_begin(t, cmd, errstr, errstr_size);
    case SB_CMD_IGNORE_BAD: sb_turn_reply(t, "%s", cmd->error); return 0;
    case SB_CMD_BAD_CODE: sb_turn_reply(t, "%s", CODE_HINT); return 0;
    case SB_CMD_EMPTY: sb_turn_reply(t, "Sorry, I didn't understand that. Try *help*."); return 0;
    default: return words(t, cmd, text, errstr, errstr_size);
    }
}
