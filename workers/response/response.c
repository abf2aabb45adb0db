/* response: one response event, start to finish; also the outcome sweep. */

/* Recorded once, its sender found, dispatched (answer.c, commands.c),
 * committed with what it published, then the chat replies. */
#include "response.h"

#include "answer.h"
#include "change.h"
#include "commands.h"
#include "turn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_buf.h"
#include "sb_log.h"
#include "sb_message.h"
#include "sb_publish.h"
#include "sb_time.h"

/* $1 event id, $2 platform, $3 chat user, $4 alert id (kept only when the
 * alert exists), $5 kind, $6 text as stored, $7 received_at. A second
 * delivery of the same event inserts nothing: the dedupe. */
static const char *const RECORD_SQL =
    "INSERT INTO responses (event_id, platform, chat_user_id, alert_id, kind, text, received_at)"
    " SELECT $1, $2, $3, (SELECT id FROM alerts WHERE id = $4), $5, $6, $7::timestamptz"
    " ON CONFLICT (event_id) DO NOTHING RETURNING 1";

/* $1 chat users (a text[]), $2 the hourly limit of failed second
 * factors: for each chat user, in the array's order, one row: one of their
 * employees (NULLs when none; more than one, the same id on two
 * platforms, is refused), how many employees have that chat user id, and
 * whether a code (or Duo passcode) request of theirs is open, for an alert
 * or a guarded change. Read for a batch's senders at once, or for one
 * answer's (sb_response_senders). */
static const char *const SENDERS_SQL =
    "SELECT DISTINCT ON (u.i) e.id, e.username, e.second_factor, coalesce(e.duo_username, ''),"
    "  e.opted_out,"
    "  (SELECT count(*) FROM second_factor_failures f WHERE f.employee_id = e.id"
    "   AND f.failed_at > now() - interval '1 hour') >= $2::int,"
    "  count(e.id) OVER (PARTITION BY u.i),"
    "  coalesce(bool_or(EXISTS (SELECT 1 FROM alerts a WHERE a.employee_id = e.id"
    "                           AND a.status = 'awaiting_code')"
    "                   OR EXISTS (SELECT 1 FROM guarded_changes g WHERE g.employee_id = e.id"
    "                              AND g.status = 'awaiting_factor' AND g.expires_at > now()))"
    "           OVER (PARTITION BY u.i), false)"
    " FROM unnest($1::text[]) WITH ORDINALITY u(chat_user_id, i)"
    " LEFT JOIN employees e ON e.chat_user_id = u.chat_user_id"
    " ORDER BY u.i";
enum { S_ID, S_USERNAME, S_FACTOR, S_DUO_USERNAME, S_OPTED_OUT, S_LOCKED, S_COUNT, S_CODE_OPEN };

/* $1 employee: their next alert, for the wake-up (as sb-ingest's prompt request). */
static const char *const NEXT_SQL =
    "SELECT id, severity, rule, title,"
    "  to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
    " FROM alerts WHERE employee_id = $1::bigint AND status = 'queued'"
    " ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2"
    "          ELSE 3 END, occurred_at, id LIMIT 1";

/* $1 employees (a bigint[]): each one's next alert, for a batch's wake-ups. */
static const char *const NEXT_ANY_SQL =
    "SELECT DISTINCT ON (employee_id) id, severity, rule, title,"
    "  to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), employee_id"
    " FROM alerts WHERE employee_id = ANY($1::bigint[]) AND status = 'queued'"
    " ORDER BY employee_id, CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1"
    "          WHEN 'medium' THEN 2 ELSE 3 END, occurred_at, id";

int sb_response_init(sb_response_t *r, const char *prefix, char *errstr, size_t errstr_size) {
    if (sb_kafka_topic(r->topic_alerts, SB_TOPIC_MAX, prefix, SB_TOPIC_ALERTS) ||
        sb_kafka_topic(r->topic_prompts, SB_TOPIC_MAX, prefix, SB_TOPIC_PROMPTS) ||
        sb_kafka_topic(r->topic_escalation_requests, SB_TOPIC_MAX, prefix,
                       SB_TOPIC_ESCALATION_REQUESTS) ||
        sb_kafka_topic(r->topic_outcomes, SB_TOPIC_MAX, prefix, SB_TOPIC_OUTCOMES)) {
        snprintf(errstr, errstr_size, "SECURITYBOT_TOPIC_PREFIX is too long");
        return -1;
    }
    return 0;
}

static const char *str(const cJSON *o, const char *name) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Never keep a one-time code, even a wrong one: it is a secret for 30 s
 * and a hint for longer. */
static int is_code(const sb_command_t *cmd) {
    return cmd->kind == SB_CMD_CODE || cmd->kind == SB_CMD_BAD_CODE || cmd->code_like;
}

/* A yes/no/not me whose words are a code ("yes 123456"). */
static int comment_is_code(const sb_command_t *cmd) {
    sb_command_t words;
    if ((cmd->kind != SB_CMD_YES && cmd->kind != SB_CMD_NO && cmd->kind != SB_CMD_NOT_ME) ||
        !cmd->comment_len)
        return 0;
    sb_command_parse(cmd->comment, cmd->comment_len, &words);
    return is_code(&words);
}

static const char *stored_text(const sb_command_t *cmd, const char *text) {
    return is_code(cmd) || comment_is_code(cmd) ? "[code withheld]" : text;
}

/* The text as it may be kept (*out, owned): while a code request of the
 * sender's is open (pre: the read of the sender), every run of 6 to 8
 * digits withheld, whether or not it is checked as a code, so it reaches
 * no table, comment, outcome or log. */
static int withhold(sb_turn_t *t, const sb_turn_pre_t *pre, const char *text, char **out,
                    char *errstr, size_t errstr_size) {
    t->withhold = PQgetvalue(pre->res, pre->row, S_CODE_OPEN)[0] == 't';
    if (!(*out = strdup(text))) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    if (t->withhold)
        sb_command_withhold_digits(*out, strlen(*out));
    return 0;
}

/* An answer nobody may give: audited without an employee, no reply. */
static int refuse_sender(sb_turn_t *t, const char *reason, const char *alert_id, char *errstr,
                         size_t errstr_size) {
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "event_id", t->event_id);
    cJSON_AddStringToObject(d, "chat_user_id", t->chat_user);
    cJSON_AddStringToObject(d, "reason", reason);
    sb_log_kv_t kv[] = {{"alert_id", alert_id}, {"reason", reason}};
    sb_log_kv(SB_LOG_WARN, kv, 2, "answer from chat user %s refused", t->chat_user);
    return sb_turn_audit(t, "answer_refused", alert_id, d, errstr, errstr_size);
}

/* t's employee from row i of res (SENDERS_SQL's). */
static void take_sender(sb_turn_t *t, const PGresult *res, int i) {
    snprintf(t->employee, sizeof(t->employee), "%s", PQgetvalue(res, i, S_ID));
    snprintf(t->username, sizeof(t->username), "%s", PQgetvalue(res, i, S_USERNAME));
    t->enrolled = strcmp(PQgetvalue(res, i, S_FACTOR), "none") != 0;
    t->duo = !strcmp(PQgetvalue(res, i, S_FACTOR), "duo");
    if (t->duo && !t->r->duo_enabled) /* as without a factor: never confirmed unchecked */
        t->duo = t->enrolled = 0;
    snprintf(t->duo_username, sizeof(t->duo_username), "%s", PQgetvalue(res, i, S_DUO_USERNAME));
    t->opted_out = PQgetvalue(res, i, S_OPTED_OUT)[0] == 't';
    t->locked = PQgetvalue(res, i, S_LOCKED)[0] == 't';
}

/* 1 sender found (t filled from pre, the read of the sender), 0 refused
 * (audited), -1 failure. */
static int find_sender(sb_turn_t *t, const sb_turn_pre_t *pre, const char *platform,
                       const char *alert_id, char *errstr, size_t errstr_size) {
    long rows = strtol(PQgetvalue(pre->res, pre->row, S_COUNT), NULL, 10);
    if (strcmp(platform, t->r->platform) != 0)
        return refuse_sender(t, "other_platform", alert_id, errstr, errstr_size) ? -1 : 0;
    if (rows != 1)
        return refuse_sender(t, rows ? "ambiguous_chat_user" : "unknown_chat_user", alert_id,
                             errstr, errstr_size)
                   ? -1
                   : 0;
    take_sender(t, pre->res, pre->row);
    return 1;
}

PGresult *sb_response_senders(sb_response_t *r, const char *const *chat_users, size_t n,
                              char *errstr, size_t errstr_size) {
    static const int formats[] = {1, 0};
    char max[16];
    const char *values[2] = {NULL, max};
    int lengths[2] = {0, 0};
    sb_db_array_t a;
    PGresult *res = NULL;
    snprintf(max, sizeof(max), "%d", r->max_failures);
    sb_db_array_init(&a, SB_DB_OID_TEXT);
    for (size_t i = 0; i < n; i++)
        sb_db_array_add(&a, chat_users[i], strlen(chat_users[i]));
    if (!(values[0] = sb_db_array_finish(&a, &lengths[0])))
        snprintf(errstr, errstr_size, "out of memory");
    else if ((res = sb_db_query_prepared(r->db, "sb_response_senders", SENDERS_SQL, 2, values,
                                         lengths, formats, errstr, errstr_size)) &&
             (size_t)PQntuples(res) != n) {
        snprintf(errstr, errstr_size, "the senders' read returned %d rows for %zu chat users",
                 PQntuples(res), n);
        PQclear(res);
        res = NULL;
    }
    sb_db_array_free(&a);
    return res;
}

/* The event's meaning, inside the transaction. */
static int dispatch(sb_turn_t *t, const char *kind, const char *alert_id, const char *text,
                    const sb_command_t *cmd, char *errstr, size_t errstr_size) {
    char comment[SB_COMMAND_TEXT_MAX + 1];
    if (!strcmp(kind, "confirm"))
        return sb_answer_apply(t, alert_id, SB_CONV_CONFIRM, NULL, NULL, errstr, errstr_size);
    if (!strcmp(kind, "deny"))
        return sb_answer_apply(t, alert_id, SB_CONV_DENY, NULL, NULL, errstr, errstr_size);
    if (!strcmp(kind, "not_me"))
        return sb_answer_apply(t, alert_id, SB_CONV_NOT_ME, NULL, NULL, errstr, errstr_size);
    switch (cmd->kind) {
    case SB_CMD_CODE: {
        /* an alert waiting for its code comes first, then a guarded change */
        int taken = t->duo || alert_id ? 0 : sb_change_code(t, cmd->code, errstr, errstr_size);
        if (taken != 0)
            return taken == -1 ? -1 : 0;
        /* a code from the modal names its alert; one typed in the DM does not */
        return sb_answer_apply(t, alert_id, SB_CONV_CODE_WRONG, NULL, cmd->code, errstr,
                               errstr_size);
    }
    case SB_CMD_YES:
    case SB_CMD_NO:
    case SB_CMD_NOT_ME: {
        /* "yes 123456": a code is never kept as a comment (it would travel
         * in outcomes and escalations); a yes then asks for it */
        int keep = cmd->comment_len && !comment_is_code(cmd);
        snprintf(comment, sizeof(comment), "%.*s", (int)cmd->comment_len, cmd->comment);
        if (t->withhold)
            sb_command_withhold_digits(comment, strlen(comment));
        sb_conv_event_t event = cmd->kind == SB_CMD_YES  ? SB_CONV_CONFIRM
                                : cmd->kind == SB_CMD_NO ? SB_CONV_DENY
                                                         : SB_CONV_NOT_ME;
        return sb_answer_apply(t, NULL, event, keep ? comment : NULL, NULL, errstr, errstr_size);
    }
    default: return sb_commands_run(t, cmd, text, errstr, errstr_size);
    }
}

static void log_reply_failure(const sb_turn_t *t, const sb_chat_error_t *err) {
    sb_log_kv_t kv[] = {{"employee", t->employee[0] ? t->employee : NULL}, {"reason", err->code}};
    sb_log_kv(SB_LOG_WARN, kv, 2, "could not reply to chat user %s: %s", t->chat_user, err->msg);
}

/* After COMMIT: the prompt's buttons replaced, the reply sent. Failures
 * are logged; the state they describe is already safe in PostgreSQL. */
/* A "yes" that needs a code, or a "no" without words, clicked on
 * Mattermost: a dialog asks for them, first (its trigger lives 3 s).
 * Whatever fails, the direct message asks as it does on Slack, and the
 * slash command carries the answer. */
static void open_dialog(sb_turn_t *t) {
    sb_chat_error_t err = {0};
    sb_log_kv_t kv[] = {{"alert_id", t->ask}, {"reason", NULL}};
    int words = strcmp(t->ask_what, "words") == 0;
    if (sb_chat_ask(t->r->chat, t->ask_what, t->trigger_id, t->chat_user, t->ask, &err) == 0) {
        sb_log_kv(SB_LOG_INFO, kv, 1, "%s dialog opened", t->ask_what);
        if (words && t->ask_not_me)
            sb_turn_reply(t, "Thank you: I've told the security team this alert isn't about you, "
                             "so they can fix who it goes to. If you can, tell them who it might "
                             "be about, or why it isn't you, in the window that opened (or with "
                             "`/securitybot` and your words).");
        else if (words)
            sb_turn_reply(t, "Thank you for telling us. The security team is on it now. If you "
                             "can, tell them what you think happened in the window that opened "
                             "(or with `/securitybot` and your words).");
        else
            sb_turn_reply(t, "Thanks! To make sure it's really you, please enter the 6-digit "
                             "code from your authenticator app in the window that opened (or "
                             "send it with `/securitybot CODE`).");
        return;
    }
    kv[1].value = err.code;
    if (strcmp(err.code, "unsupported") != 0)
        sb_metrics_count(t->r->metrics, SB_M_CHAT_ERRORS, err.code, 1);
    sb_log_kv(SB_LOG_INFO, kv, 2, "no %s dialog, the message asks: %s", t->ask_what, err.msg);
}

static void speak(sb_turn_t *t) {
    sb_chat_error_t err = {0};
    char channel[SB_CHAT_CHANNEL_SIZE];
    /* first: Slack's trigger lives 3 s. Failing, the DM asks for the code */
    /* (a platform without modals, Mattermost, has its dialog below) */
    if (t->modal_alert[0] &&
        sb_chat_open_code_modal(t->r->chat, t->trigger_id, t->modal_alert, &err) == -1 &&
        strcmp(err.code, "not_supported") != 0) {
        sb_metrics_count(t->r->metrics, SB_M_CHAT_ERRORS, err.code, 1);
        sb_log_kv_t kv[] = {{"alert_id", t->modal_alert}, {"reason", err.code}};
        sb_log_kv(SB_LOG_WARN, kv, 2, "code modal not opened (the DM asks instead): %s", err.msg);
    }
    if (t->ask[0])
        open_dialog(t);
    if (t->update_row && t->update_text) {
        PGresult *row = t->update_row;
        cJSON *details = PQgetisnull(row, 0, 9) ? NULL : cJSON_Parse(PQgetvalue(row, 0, 9));
        sb_chat_ref_t ref;
        snprintf(ref.channel, sizeof(ref.channel), "%s", PQgetvalue(row, 0, 11));
        snprintf(ref.ts, sizeof(ref.ts), "%s", PQgetvalue(row, 0, 12));
        sb_chat_prompt_t p = {
            .channel = ref.channel,
            .alert_id = PQgetvalue(row, 0, 0),
            .title = PQgetvalue(row, 0, 7),
            .description = PQgetisnull(row, 0, 8) ? NULL : PQgetvalue(row, 0, 8),
            .details = cJSON_IsObject(details) ? details : NULL,
            .occurred_at = PQgetvalue(row, 0, 10),
            .enter_code = t->update_enter_code,
        };
        if (sb_chat_update_prompt(t->r->chat, &ref, &p, t->update_text, &err) == -1) {
            sb_metrics_count(t->r->metrics, SB_M_CHAT_ERRORS, err.code, 1);
            sb_log_kv_t kv[] = {{"alert_id", p.alert_id}, {"reason", err.code}};
            sb_log_kv(SB_LOG_WARN, kv, 2, "could not update the prompt: %s", err.msg);
        }
        cJSON_Delete(details);
    }
    if (!t->reply)
        return;
    if (t->reply_channel[0])
        snprintf(channel, sizeof(channel), "%s", t->reply_channel);
    else if (sb_chat_open_dm(t->r->chat, t->chat_user, channel, sizeof(channel), &err) == -1)
        goto fail;
    if (sb_chat_send_text(t->r->chat, channel, t->reply, NULL, &err) == 0)
        return;
fail:
    sb_metrics_count(t->r->metrics, SB_M_CHAT_ERRORS, err.code, 1);
    log_reply_failure(t, &err);
}

/* After COMMIT: a prompt request for the employee's next alert, so
 * sb-prompt sends it now rather than at its next sweep. Best effort: the
 * sweep is the safety net. */
static void send_wake(sb_response_t *r, const PGresult *res, int i, const char *employee) {
    char errstr[256], now[40];
    cJSON *o = NULL;
    char *msg = NULL;
    sb_time_format_us(sb_time_now_us(), now, sizeof(now));
    if (!(o = cJSON_CreateObject()) || sb_message_start(o, "prompt", PQgetvalue(res, i, 0), NULL))
        goto out;
    cJSON_AddStringToObject(o, "employee_id", employee);
    cJSON_AddStringToObject(o, "severity", PQgetvalue(res, i, 1));
    cJSON_AddStringToObject(o, "rule", PQgetvalue(res, i, 2));
    cJSON_AddStringToObject(o, "title", PQgetvalue(res, i, 3));
    cJSON_AddStringToObject(o, "occurred_at", PQgetvalue(res, i, 4));
    cJSON_AddStringToObject(o, "requested_at", now);
    if ((msg = cJSON_PrintUnformatted(o)))
        sb_producer_send(r->producer, r->topic_prompts, employee, strlen(employee), msg,
                         strlen(msg), errstr, sizeof(errstr));
out:
    free(msg);
    cJSON_Delete(o);
}

static void wake(sb_turn_t *t) {
    char errstr[256];
    const char *params[] = {t->employee};
    PGresult *res = sb_db_query(t->r->db, NEXT_SQL, 1, params, errstr, sizeof(errstr));
    if (res && PQntuples(res) == 1)
        send_wake(t->r, res, 0, t->employee);
    PQclear(res);
}

void sb_response_wake(sb_response_t *r, const char *const *employees, size_t n) {
    char errstr[256];
    sb_buf_t ids = {0};
    PGresult *res = NULL;
    if (n == 0)
        return;
    sb_buf_add(&ids, "{", 1);
    for (size_t i = 0; i < n; i++) {
        if (i)
            sb_buf_add(&ids, ",", 1);
        sb_buf_add(&ids, employees[i], strlen(employees[i])); /* employees.id: digits */
    }
    sb_buf_add(&ids, "}", 1);
    const char *params[] = {sb_buf_str(&ids)};
    if (!ids.err && (res = sb_db_query(r->db, NEXT_ANY_SQL, 1, params, errstr, sizeof(errstr))))
        for (int i = 0; i < PQntuples(res); i++)
            send_wake(r, res, i, PQgetvalue(res, i, 5));
    PQclear(res);
    sb_buf_free(&ids);
}

/* After COMMIT: a guarded change told to the security channel. Best
 * effort, as the replies: the change itself is in the audit log. */
static void tell_security(sb_turn_t *t) {
    sb_chat_error_t err = {0};
    if (!t->notice)
        return;
    sb_log_kv_t kv[] = {{"employee", t->employee}};
    if (!t->r->security_channel) {
        sb_log_kv(SB_LOG_INFO, kv, 1, "SECURITYBOT_SECURITY_CHANNEL unset: not posted: %s",
                  t->notice);
        return;
    }
    /* the channel takes markup: the employee's rule name is escaped here,
     * once (a "<!channel>" in it must not notify anyone) */
    sb_buf_t b = {0};
    sb_buf_add_text(&b, t->notice, SB_CHAT_TEXT_MAX, SB_BUF_ENTITIES);
    if (b.err)
        snprintf(err.msg, sizeof(err.msg), "out of memory");
    if (b.err ||
        sb_chat_post_channel(t->r->chat, t->r->security_channel, sb_buf_str(&b), &err) == -1) {
        sb_metrics_count(t->r->metrics, SB_M_CHAT_ERRORS, b.err ? "out_of_memory" : err.code, 1);
        sb_log_kv(SB_LOG_WARN, kv, 1, "could not post to the security channel: %s", err.msg);
    }
    sb_buf_free(&b);
}

void sb_turn_after_commit(sb_turn_t *t) {
    char why[512];
    /* the outcome, from the committed row; a failure is the sweep's to retry */
    if (t->outcome_due && sb_response_sweep(t->r, why, sizeof(why)) == -1)
        sb_log_warn("outcome not published yet: %s (the sweep retries)", why);
    speak(t);
    tell_security(t);
    if (t->wake)
        wake(t);
}

int sb_response_apply(sb_response_t *r, const cJSON *ev, const sb_turn_pre_t *pre, sb_turn_t *t,
                      char *errstr, size_t errstr_size) {
    const char *event_id = str(ev, "event_id"), *platform = str(ev, "platform"),
               *kind = str(ev, "kind"), *text = str(ev, "text"), *alert_id = str(ev, "alert_id");
    sb_command_t cmd = {0};
    PGresult *res = NULL, *own = NULL; /* own: the sender read here (no batch read) */
    sb_turn_pre_t mine;
    char *kept = NULL; /* text, digits withheld while a code is due */
    int rc = -1, found;

    *t = (sb_turn_t){.r = r,
                     .event_id = event_id,
                     .chat_user = str(ev, "chat_user_id"),
                     .trigger_id = str(ev, "trigger_id")};
    if (!strcmp(kind, "text"))
        sb_command_parse(text, strlen(text), &cmd);
    snprintf(t->actor, sizeof(t->actor), "chat:%s", t->chat_user);
    if (!pre) {
        if (!(own = sb_response_senders(r, &t->chat_user, 1, errstr, errstr_size)))
            goto out;
        mine = (sb_turn_pre_t){.res = own, .row = 0};
        pre = &mine;
    }
    if (withhold(t, pre, text, &kept, errstr, errstr_size) == -1)
        goto out;
    {
        const char *params[] = {event_id,
                                platform,
                                t->chat_user,
                                alert_id,
                                kind,
                                stored_text(&cmd, kept),
                                str(ev, "received_at")};
        if (!(res = sb_db_query(r->db, RECORD_SQL, 7, params, errstr, errstr_size)))
            goto out;
    }
    if (PQntuples(res) == 0) { /* Slack's retry, or a redelivery after COMMIT */
        sb_log_kv_t kv[] = {{"alert_id", alert_id}};
        sb_log_kv(SB_LOG_INFO, kv, 1, "event %s already handled", event_id);
        rc = 0;
        goto out;
    }
    if ((found = find_sender(t, pre, platform, alert_id, errstr, errstr_size)) == -1 ||
        (found == 1 && dispatch(t, kind, alert_id, kept, &cmd, errstr, errstr_size) == -1))
        goto out;
    rc = 0;
out:
    PQclear(res);
    PQclear(own);
    free(kept);
    return rc;
}

int sb_response_sweep(sb_response_t *r, char *errstr, size_t errstr_size) {
    if (sb_db_ensure(r->db, errstr, errstr_size) == -1)
        return -1;
    return sb_answer_publish_due(r, r->sweep_limit, errstr, errstr_size);
}
