/* change: an employee's guarded change (ignore, stop, start) asked for, checked and applied. */
#include "change.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "answer.h"
#include "duo.h"
#include "sb_change.h"
#include "sb_log.h"
#include "sb_utf8.h"

/* $1 employee: the alert whose rule `ignore` mutes: the open
 * conversation's, else the last one answered in the past hour. */
static const char *const RULE_SQL =
    "SELECT id, rule, severity FROM alerts WHERE employee_id = $1::bigint"
    "  AND (status IN ('prompted', 'awaiting_code')"
    "       OR answered_at > now() - interval '1 hour')"
    " ORDER BY status IN ('prompted', 'awaiting_code') DESC, answered_at DESC NULLS LAST LIMIT 1";

/* $1 employee: one of their alerts waits for its second factor. */
static const char *const CODE_DUE_SQL =
    "SELECT 1 FROM alerts WHERE employee_id = $1::bigint AND status = 'awaiting_code' LIMIT 1";

/* $1 employee: a new request replaces the one waiting. */
static const char *const REPLACE_SQL =
    "UPDATE guarded_changes SET status = 'expired', status_reason = 'replaced', decided_at = now()"
    " WHERE employee_id = $1::bigint AND status = 'awaiting_factor'";

/* $1 employee, $2 kind, $3 rule, $4 alert, $5 ms, $6 event, $7 seconds to wait. */
static const char *const INSERT_SQL =
    "INSERT INTO guarded_changes (employee_id, kind, rule, alert_id, ignore_ms, event_id,"
    "   expires_at)"
    " VALUES ($1::bigint, $2, $3, $4, $5::bigint, $6, now() + $7::int * interval '1 s')"
    " RETURNING id";

/* $1 change, $2 employee, $3 Duo username. */
static const char *const PUSH_SQL =
    "INSERT INTO duo_pushes (change_id, employee_id, duo_username, stage)"
    " VALUES ($1::bigint, $2::bigint, $3, 'preauth')";

/* The change waiting, locked; columns as the enum below. */
#define CHANGE_COLUMNS                                                                             \
    "SELECT g.id, g.kind, coalesce(g.rule, ''), coalesce(g.alert_id, ''),"                         \
    "  coalesce(g.ignore_ms, 0), g.code_failures, e.username FROM guarded_changes g"               \
    " JOIN employees e ON e.id = g.employee_id"
static const char *const OPEN_SQL =
    CHANGE_COLUMNS " WHERE g.employee_id = $1::bigint AND g.status = 'awaiting_factor'"
                   "  AND g.expires_at > now() FOR UPDATE OF g";
static const char *const BY_ID_SQL =
    CHANGE_COLUMNS " WHERE g.id = $1::bigint AND g.status = 'awaiting_factor' FOR UPDATE OF g";
enum { C_ID, C_KIND, C_RULE, C_ALERT, C_MS, C_FAILURES, C_USERNAME };

/* $1 change, $2 status, $3 reason, $4 failures, $5 second factor, $6 method. */
static const char *const DECIDE_SQL =
    "UPDATE guarded_changes SET status = $2, status_reason = $3, code_failures = $4::int,"
    "  second_factor = $5, second_factor_method = $6,"
    "  decided_at = CASE WHEN $2 = 'awaiting_factor' THEN NULL ELSE now() END"
    " WHERE id = $1::bigint";

/* $1 employee, $2 rule, $3 ms, $4 reason, $5 created_by. */
static const char *const IGNORE_SQL =
    "INSERT INTO ignore_rules (employee_id, rule, until, reason, created_by)"
    " VALUES ($1::bigint, $2, now() + $3::bigint * interval '1 millisecond', $4, $5)";

/* $1 employee, $2 opted out. */
static const char *const OPT_SQL =
    "UPDATE employees SET opted_out = $2::boolean, updated_at = now() WHERE id = $1::bigint";

/* One change, from a guarded_changes row or from the request. */
typedef struct {
    const char *id; /* NULL: not recorded (applied at once) */
    sb_change_kind_t kind;
    const char *rule, *alert_id; /* ignore */
    long long ms;                /* ignore */
    int code_failures;
    const char *username;
} change_t;

static void from_row(PGresult *row, change_t *c) {
    c->id = PQgetvalue(row, 0, C_ID);
    c->kind = (sb_change_kind_t)sb_change_kind_parse(PQgetvalue(row, 0, C_KIND));
    c->rule = PQgetvalue(row, 0, C_RULE);
    c->alert_id = PQgetvalue(row, 0, C_ALERT)[0] ? PQgetvalue(row, 0, C_ALERT) : NULL;
    c->ms = atoll(PQgetvalue(row, 0, C_MS));
    c->code_failures = atoi(PQgetvalue(row, 0, C_FAILURES));
    c->username = PQgetvalue(row, 0, C_USERNAME);
}

/* "2 h", "90 min". */
static void duration(long long ms, char *out, size_t size) {
    long long minutes = ms / 60000;
    if (minutes % 60 == 0)
        snprintf(out, size, "%lld h", minutes / 60);
    else
        snprintf(out, size, "%lld min", minutes);
}

/* What the change does, after "to": "mute rule X for 2 h". */
static void describe(const change_t *c, char *out, size_t size) {
    char d[32];
    duration(c->ms, d, sizeof(d));
    if (c->kind == SB_CHANGE_IGNORE)
        snprintf(out, size, "mute rule %.*s for %s", SB_UTF8_CUT(c->rule, 200), d);
    else if (c->kind == SB_CHANGE_STOP)
        snprintf(out, size, "opt out of being asked");
    else
        snprintf(out, size, "opt back in to being asked");
}

static void notice(sb_turn_t *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void notice(sb_turn_t *t, const char *fmt, ...) {
    va_list ap;
    char buf[1024];
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    buf[sb_utf8_cut(buf, sizeof(buf) - 1)] = '\0';
    free(t->notice);
    t->notice = strdup(buf);
}

static cJSON *detail(sb_turn_t *t, const change_t *c) {
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "event_id", t->event_id);
    if (c->id)
        cJSON_AddNumberToObject(d, "change_id", atof(c->id));
    cJSON_AddStringToObject(d, "change", sb_change_kind_name(c->kind));
    if (c->kind == SB_CHANGE_IGNORE) {
        cJSON_AddStringToObject(d, "rule", c->rule);
        cJSON_AddNumberToObject(d, "minutes", (double)(c->ms / 60000));
    }
    return d;
}

/* The change made: the ignore rule or the opt-out written, audited, the
 * employee and the security channel told. */
static int apply(sb_turn_t *t, const change_t *c, const char *second_factor, const char *method,
                 char *errstr, size_t errstr_size) {
    char ms[32], reason[160], d[32], by[96];
    cJSON *det;
    duration(c->ms, d, sizeof(d));
    if (c->kind == SB_CHANGE_IGNORE) {
        snprintf(ms, sizeof(ms), "%lld", c->ms);
        snprintf(reason, sizeof(reason), "muted by the employee in chat (second factor: %s)",
                 method);
        snprintf(by, sizeof(by), "chat:%.80s", t->chat_user);
        const char *params[] = {t->employee, c->rule, ms, reason, by};
        if (sb_db_exec(t->r->db, IGNORE_SQL, 5, params, errstr, errstr_size) == -1)
            return -1;
    } else {
        const char *params[] = {t->employee, c->kind == SB_CHANGE_STOP ? "true" : "false"};
        if (sb_db_exec(t->r->db, OPT_SQL, 2, params, errstr, errstr_size) == -1)
            return -1;
    }
    det = detail(t, c);
    cJSON_AddStringToObject(det, "second_factor", second_factor);
    cJSON_AddStringToObject(det, "second_factor_method", method);
    if (sb_turn_audit(t,
                      c->kind == SB_CHANGE_IGNORE ? "ignore_rule_added"
                      : c->kind == SB_CHANGE_STOP ? "employee_opted_out"
                                                  : "employee_opted_in",
                      c->alert_id, det, errstr, errstr_size) == -1)
        return -1;
    if (c->kind == SB_CHANGE_IGNORE) {
        long long minutes = c->ms / 60000;
        if (minutes % 60 == 0)
            sb_turn_reply(t, "OK: I won't ask you about \"%.*s\" for %lld hour%s.",
                          SB_UTF8_CUT(c->rule, 200), minutes / 60, minutes == 60 ? "" : "s");
        else
            sb_turn_reply(t, "OK: I won't ask you about \"%.*s\" for %lld minutes.",
                          SB_UTF8_CUT(c->rule, 200), minutes);
        notice(t, "%s muted rule %.*s for %s (second factor: %s)", c->username,
               SB_UTF8_CUT(c->rule, 200), d, method);
    } else if (c->kind == SB_CHANGE_STOP) {
        sb_turn_reply(t, "OK: I won't ask you anymore; your alerts go straight to the security "
                         "team. Write *start* to be asked again.");
        notice(t,
               "%s opted out: their alerts now go straight to the security team (second "
               "factor: %s)",
               c->username, method);
    } else {
        sb_turn_reply(t, "Welcome back: I'll ask you about your alerts again.");
        notice(t, "%s opted back in: they are asked about their alerts again (second factor: %s)",
               c->username, method);
    }
    sb_log_kv_t kv[] = {{"employee", t->employee}};
    sb_log_kv(SB_LOG_INFO, kv, 1, "guarded change %s applied (%s)", sb_change_kind_name(c->kind),
              method);
    return 0;
}

/* A refusal: audited, with its reason. */
static int refuse(sb_turn_t *t, const change_t *c, const char *reason, char *errstr,
                  size_t errstr_size) {
    cJSON *d = detail(t, c);
    cJSON_AddStringToObject(d, "reason", reason);
    sb_log_kv_t kv[] = {{"employee", t->employee}, {"reason", reason}};
    sb_log_kv(SB_LOG_INFO, kv, 2, "guarded change %s refused", sb_change_kind_name(c->kind));
    return sb_turn_audit(t, "change_refused", c->alert_id, d, errstr, errstr_size);
}

/* The change recorded, waiting for the employee's code or push. */
static int ask(sb_turn_t *t, change_t *c, int push, char *errstr, size_t errstr_size) {
    char ms[32], ttl[16], what[256];
    const char *params[] = {t->employee,
                            sb_change_kind_name(c->kind),
                            c->kind == SB_CHANGE_IGNORE ? c->rule : NULL,
                            c->alert_id,
                            ms,
                            t->event_id,
                            ttl};
    PGresult *res;
    snprintf(ms, sizeof(ms), "%lld", c->ms);
    snprintf(ttl, sizeof(ttl), "%d", SB_CHANGE_TTL_S);
    if (sb_db_exec(t->r->db, REPLACE_SQL, 1, params, errstr, errstr_size) == -1 ||
        !(res = sb_db_query(t->r->db, INSERT_SQL, 7, params, errstr, errstr_size)))
        return -1;
    char id[24];
    snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    c->id = id;
    if (push) {
        const char *p[] = {id, t->employee, t->duo_username};
        if (sb_db_exec(t->r->db, PUSH_SQL, 3, p, errstr, errstr_size) == -1)
            return -1;
    }
    describe(c, what, sizeof(what));
    if (push)
        sb_turn_reply(t,
                      "To make sure it's really you who wants to %s, I'm sending a Duo push "
                      "to your phone: please approve it.",
                      what);
    else
        sb_turn_reply(t,
                      "To make sure it's really you who wants to %s, please reply with the "
                      "6-digit code from your authenticator app.",
                      what);
    cJSON *d = detail(t, c);
    cJSON_AddStringToObject(d, "second_factor_method", push ? "duo_push" : "totp");
    int rc = sb_turn_audit(t, "change_requested", c->alert_id, d, errstr, errstr_size);
    c->id = NULL; /* id is local */
    return rc;
}

/* 1 when a query with params[0] = the employee returns a row, 0 not, -1. */
static int exists(sb_turn_t *t, const char *sql, char *errstr, size_t errstr_size) {
    const char *params[] = {t->employee};
    PGresult *res = sb_db_query(t->r->db, sql, 1, params, errstr, errstr_size);
    int n;
    if (!res)
        return -1;
    n = PQntuples(res) > 0;
    PQclear(res);
    return n;
}

int sb_change_begin(sb_turn_t *t, const sb_command_t *cmd, char *errstr, size_t errstr_size) {
    change_t c = {.kind = cmd->kind == SB_CMD_STOP    ? SB_CHANGE_STOP
                          : cmd->kind == SB_CMD_START ? SB_CHANGE_START
                                                      : SB_CHANGE_IGNORE,
                  .ms = cmd->ignore_ms,
                  .username = t->username};
    sb_change_request_t q = {.kind = c.kind,
                             .opted_out = t->opted_out,
                             .enrolled = t->enrolled,
                             .duo = t->duo,
                             .require_2fa = t->r->require_2fa,
                             .locked = t->locked};
    const char *params[] = {t->employee};
    PGresult *rule = NULL;
    char what[256];
    int rc = -1, due;

    if (c.kind == SB_CHANGE_IGNORE) {
        if (!(rule = sb_db_query(t->r->db, RULE_SQL, 1, params, errstr, errstr_size)))
            return -1;
        if ((q.has_rule = PQntuples(rule) == 1)) {
            c.alert_id = PQgetvalue(rule, 0, 0);
            c.rule = PQgetvalue(rule, 0, 1);
            q.critical = !strcmp(PQgetvalue(rule, 0, 2), "critical");
        }
    }
    if ((due = exists(t, CODE_DUE_SQL, errstr, errstr_size)) == -1)
        goto out;
    q.code_due = due;
    sb_change_decision_t d = sb_change_request(&q);
    rc = 0;
    switch (d) {
    case SB_CHANGE_NO_RULE: sb_turn_reply(t, "There is no alert I could snooze right now."); break;
    case SB_CHANGE_REFUSE_CRITICAL:
        sb_turn_reply(t,
                      "I can't snooze \"%.*s\": it raised a critical alert. Ask the security "
                      "team if it should be muted.",
                      SB_UTF8_CUT(c.rule, 200));
        rc = refuse(t, &c, sb_change_decision_name(d), errstr, errstr_size);
        break;
    case SB_CHANGE_ALREADY:
        sb_turn_reply(t, "%s",
                      c.kind == SB_CHANGE_STOP
                          ? "You are opted out already: write *start* to be asked again."
                          : "I'm asking you about your alerts already.");
        break;
    case SB_CHANGE_REFUSE_LOCKED:
        sb_turn_reply(t, "Too many second factors failed in the past hour: I can't make this "
                         "change now. The security team has been told.");
        describe(&c, what, sizeof(what));
        notice(t, "%s's request to %s was refused: second_factor_locked", c.username, what);
        rc = refuse(t, &c, sb_change_decision_name(d), errstr, errstr_size);
        break;
    case SB_CHANGE_BUSY:
        sb_turn_reply(t, "Please finish the question waiting for your second factor first, then "
                         "ask me again.");
        break;
    case SB_CHANGE_REFUSE_NOT_ENROLLED:
        sb_turn_reply(t, "You have no second factor enrolled, so I can't make this change: ask "
                         "the security team.");
        rc = refuse(t, &c, sb_change_decision_name(d), errstr, errstr_size);
        break;
    case SB_CHANGE_APPLY: rc = apply(t, &c, "not_enrolled", "none", errstr, errstr_size); break;
    case SB_CHANGE_ASK_CODE:
    case SB_CHANGE_ASK_PUSH: rc = ask(t, &c, d == SB_CHANGE_ASK_PUSH, errstr, errstr_size); break;
    }
out:
    PQclear(rule);
    return rc;
}

/* The factor's answer applied to the change in row. 0 or -1. */
static int decide(sb_turn_t *t, PGresult *row, sb_conv_event_t event, char *errstr,
                  size_t errstr_size) {
    change_t c;
    sb_change_result_t res;
    char failures[16], what[256];
    from_row(row, &c);
    sb_change_factor(event, c.code_failures, t->r->require_2fa, &res);
    snprintf(failures, sizeof(failures), "%d", res.code_failures);
    const char *params[] = {c.id,
                            res.verdict == SB_CHANGE_APPLIED   ? "applied"
                            : res.verdict == SB_CHANGE_REFUSED ? "refused"
                                                               : "awaiting_factor",
                            res.reason,
                            failures,
                            res.verdict == SB_CHANGE_RETRY ? NULL : res.second_factor,
                            res.method};
    if (sb_db_exec(t->r->db, DECIDE_SQL, 6, params, errstr, errstr_size) == -1)
        return -1;
    if (res.failure &&
        sb_answer_count_failure(t, res.method, NULL, c.id, errstr, errstr_size) == -1)
        return -1;
    if (res.verdict == SB_CHANGE_APPLIED)
        return apply(t, &c, res.second_factor, res.method, errstr, errstr_size);
    if (res.verdict == SB_CHANGE_RETRY) {
        int left = SB_CONV_MAX_CODE_FAILURES - res.code_failures;
        sb_turn_reply(t,
                      "That code didn't work. Please send the current code from your "
                      "authenticator app (%d %s left).",
                      left, left == 1 ? "try" : "tries");
        cJSON *d = detail(t, &c);
        cJSON_AddNumberToObject(d, "code_failures", res.code_failures);
        return sb_turn_audit(t, "change_code_wrong", c.alert_id, d, errstr, errstr_size);
    }
    describe(&c, what, sizeof(what));
    if (!strcmp(res.reason, "push_timed_out") || !strcmp(res.reason, "second_factor_unavailable"))
        sb_turn_reply(t,
                      "I couldn't confirm it's you (%s), so I didn't %s. Ask me again to "
                      "retry.",
                      !strcmp(res.reason, "push_timed_out") ? "the Duo push was not "
                                                              "approved in time"
                                                            : "Duo could not be reached",
                      what);
    else if (!strcmp(res.reason, "second_factor_locked"))
        sb_turn_reply(t,
                      "Too many second factors failed for you in the past hour: I didn't check "
                      "that code, and I didn't %s. The security team has been told.",
                      what);
    else if (!strcmp(res.reason, "not_enrolled"))
        sb_turn_reply(t, "Duo says you have no second factor set up, so I didn't %s.", what);
    else
        sb_turn_reply(t,
                      "The second factor failed, so I didn't %s. The security team has been "
                      "told.",
                      what);
    if (res.failure || !strcmp(res.reason, "second_factor_locked"))
        notice(t, "%s's request to %s was refused: %s (%s)", c.username, what, res.reason,
               res.method);
    return refuse(t, &c, res.reason, errstr, errstr_size);
}

int sb_change_code(sb_turn_t *t, const char *code, char *errstr, size_t errstr_size) {
    const char *params[] = {t->employee};
    PGresult *row;
    int due, ok, rc = -1;
    if ((due = exists(t, CODE_DUE_SQL, errstr, errstr_size)) != 0)
        return due == 1 ? 0 : -1;
    if (!(row = sb_db_query(t->r->db, OPEN_SQL, 1, params, errstr, errstr_size)))
        return -1;
    if (PQntuples(row) != 1) {
        rc = 0;
        goto out;
    }
    if (t->locked) { /* refused unchecked */
        rc = decide(t, row, SB_CONV_LOCKED, errstr, errstr_size) == -1 ? -1 : 1;
        goto out;
    }
    if ((ok = sb_answer_check_code(t, code, errstr, errstr_size)) == -1)
        goto out;
    if (ok == -2) {
        sb_log_kv_t kv[] = {{"employee", t->employee}};
        sb_log_kv(SB_LOG_ERROR, kv, 1, "cannot check the code: %s", errstr);
        sb_turn_reply(t, "I can't check codes right now, sorry: I made no change.");
        rc = 1;
        goto out;
    }
    rc = decide(t, row, ok ? SB_CONV_CODE_RIGHT : SB_CONV_CODE_WRONG, errstr, errstr_size) == -1
             ? -1
             : 1;
out:
    PQclear(row);
    return rc;
}

int sb_change_duo(sb_turn_t *t, const char *change_id, sb_conv_event_t event, const char *why,
                  char *errstr, size_t errstr_size) {
    const char *params[] = {change_id};
    PGresult *row = sb_db_query(t->r->db, BY_ID_SQL, 1, params, errstr, errstr_size);
    int rc = -1;
    if (!row)
        return -1;
    if (PQntuples(row) != 1) { /* replaced or decided meanwhile */
        rc = 0;
        goto out;
    }
    snprintf(t->username, sizeof(t->username), "%s", PQgetvalue(row, 0, C_USERNAME));
    cJSON *d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "event_id", t->event_id);
    cJSON_AddNumberToObject(d, "change_id", atof(change_id));
    cJSON_AddStringToObject(d, "duo", why);
    if (sb_turn_audit(t, "duo_answer", NULL, d, errstr, errstr_size) == -1 ||
        decide(t, row, event, errstr, errstr_size) == -1)
        goto out;
    rc = 0;
out:
    PQclear(row);
    return rc;
}
