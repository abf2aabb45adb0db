/* alerts: `sbctl alerts list|show`, what happened to alerts. */

/* The row, the conversation, the audit trail and the escalation. Read
 * only. Never selects an employee's second-factor secret. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_time.h"
#include "sbctl.h"

static const char USAGE[] =
    "Usage: sbctl alerts list [--status S] [--outcome O] [--employee U] [--since T]\n"
    "                         [--held] [--limit N] [--format text|json]\n"
    "       sbctl alerts show ID [--format text|json]\n\n"
    "list prints the alerts received most recently first (default limit 100, at\n"
    "most 10000). --status: queued, prompted, awaiting_code, grouped (asked with\n"
    "another alert's question: SECURITYBOT_COALESCE_WINDOW), confirmed,\n"
    "confirmed_unverified, denied, escalation_requested, escalated, suppressed,\n"
    "expired. --outcome: an outcome, or open for none yet. --employee: username,\n"
    "e-mail or alias (or the user as the detector wrote it). --since: a duration\n"
    "back from now (24h, 7d) or an RFC 3339 time. In text, a user who is not in\n"
    "the directory shows as ?name. --held: only the alerts held for the\n"
    "employee's working hours (SECURITYBOT_OFF_HOURS_MAX_SEVERITY), soonest\n"
    "first, with when each will be asked (ask_at).\n\n"
    "show prints one alert (ID: the full id or a unique prefix of at least 8 hex\n"
    "characters): its fields, the conversation (every answer and message\n"
    "received about it), the audit trail and the escalation, if any.\n"
    "Exit codes: 0 ok, 1 unknown or ambiguous alert, 2 usage, 3 unavailable.\n";

#define LIST_MAX 10000

/* $1 status, $2 outcome ('open': none), $3 employee name, $4 since, $5 limit; NULL: any.
 * $6: held alerts only (queued with an ask_at), soonest first. */
/* clang-format off */
static const char *const LIST_SQL =
    "SELECT a.id, " SBCTL_TS("a.received_at") ", a.status, a.status_reason, a.outcome,"
    "  a.severity, a.rule, a.source, a.title, a.username, e.username,"
    "  " SBCTL_TS("a.occurred_at") ", " SBCTL_TS("a.answered_at") ", " SBCTL_TS("a.ask_at")
    " FROM alerts a LEFT JOIN employees e ON e.id = a.employee_id"
    " WHERE ($1::text IS NULL OR a.status = $1)"
    "   AND ($2::text IS NULL OR coalesce(a.outcome, 'open') = $2)"
    "   AND ($3::text IS NULL OR lower(a.username) = lower($3) OR a.employee_id ="
    "        (SELECT employee_id FROM employee_identities WHERE identity = lower($3)))"
    "   AND ($4::timestamptz IS NULL OR a.received_at >= $4::timestamptz)"
    "   AND (NOT $6::boolean OR (a.status = 'queued' AND a.ask_at IS NOT NULL))"
    " ORDER BY CASE WHEN $6::boolean THEN a.ask_at END, a.received_at DESC, a.id"
    " LIMIT $5::int + 1";
/* clang-format on */
static const char *const LIST_KEYS[] = {
    "id",     "received_at", "status", "status_reason", "outcome",     "severity",    "rule",
    "source", "title",       "user",   "employee",      "occurred_at", "answered_at", "ask_at"};
enum {
    L_ID,
    L_RECEIVED,
    L_STATUS,
    L_REASON,
    L_OUTCOME,
    L_SEVERITY,
    L_RULE,
    L_SOURCE,
    L_TITLE,
    L_USER,
    L_EMPLOYEE,
    L_OCCURRED,
    L_ANSWERED,
    L_ASK_AT
};

/* clang-format off */
static const char *const STATUSES[] = {
    "queued", "prompted", "awaiting_code", "grouped", "confirmed", "confirmed_unverified", "denied",
    "escalation_requested", "escalated", "suppressed", "expired"};
/* clang-format on */

/* $1 alert id. The keys below follow the columns, in order. */
/* clang-format off */
static const char *const SHOW_SQL =
    "SELECT a.id, a.title, a.rule, a.source, a.severity, a.username, a.detector_id,"
    "  e.username, e.email, a.employee_id::text, a.status, a.status_reason, a.outcome,"
    "  a.answer, a.comment, a.second_factor, a.code_failures::text, a.version::text,"
    "  " SBCTL_TS("a.occurred_at") ", " SBCTL_TS("a.received_at") ","
    "  " SBCTL_TS("a.prompted_at") ", " SBCTL_TS("a.reminded_at") ","
    "  " SBCTL_TS("a.answered_at") ", " SBCTL_TS("a.decided_at") ","
    "  " SBCTL_TS("a.outcome_due_at") ", " SBCTL_TS("a.updated_at") ","
    "  a.chat_channel, a.chat_ts, a.group_id, a.description, a.url, a.src_topic,"
    "  a.src_partition::text, a.src_offset::text, a.details::text, a.raw::text"
    " FROM alerts a LEFT JOIN employees e ON e.id = a.employee_id WHERE a.id = $1";
/* clang-format on */
/* clang-format off */
static const char *const SHOW_KEYS[] = {
    "id", "title", "rule", "source", "severity", "user", "detector_id",
    "employee", "email", "employee_id", "status", "status_reason", "outcome",
    "answer", "comment", "second_factor", "code_failures", "version",
    "occurred_at", "received_at",
    "prompted_at", "reminded_at",
    "answered_at", "decided_at",
    "outcome_due_at", "updated_at",
    "chat_channel", "chat_ts", "group_id", "description", "url", "src_topic",
    "src_partition", "src_offset", "details", "raw"};
/* clang-format on */
#define SHOW_RAW    35 /* the raw alert, last: JSON only */
#define LABEL_WIDTH 18
_Static_assert(sizeof(SHOW_KEYS) / sizeof(SHOW_KEYS[0]) == SHOW_RAW + 1, "a key per column");

static int is_one_of(const char *key, const char *const *names) {
    for (; *names; names++)
        if (!strcmp(key, *names))
            return 1;
    return 0;
}

/* How a column goes into JSON: a number, a JSON document, or text. */
static const char *const SHOW_NUMBERS[] = {"code_failures", "version", "src_partition",
                                           "src_offset", NULL};
static const char *const SHOW_DOCUMENTS[] = {"details", "raw", NULL};

/* $1 alert id: every response event about it, by the alert id of a button
 * or through the audit row that handled a message. */
/* clang-format off */
static const char *const CONVERSATION_SQL =
    "SELECT " SBCTL_TS("r.received_at") ", r.kind, r.chat_user_id, r.platform, r.text,"
    "  r.event_id FROM responses r"
    " WHERE r.alert_id = $1 OR r.event_id IN (SELECT detail->>'event_id' FROM audit_log"
    "                                         WHERE alert_id = $1 AND detail ? 'event_id')"
    " ORDER BY r.received_at, r.recorded_at, r.event_id";
/* clang-format on */
static const char *const CONVERSATION_KEYS[] = {"received_at", "kind", "chat_user_id",
                                                "platform",    "text", "event_id"};

/* clang-format off */
static const char *const AUDIT_SQL =
    "SELECT " SBCTL_TS("at") ", actor, action, detail::text FROM audit_log"
    " WHERE alert_id = $1 ORDER BY at, id";
/* clang-format on */

/* Whatever columns escalations has (its stage adds some), in table order. */
static const char *const ESCALATION_SQL =
    "SELECT row_to_json(s)::text FROM (SELECT * FROM escalations WHERE alert_id = $1) s";

static const char *value(PGresult *res, int row, int col) {
    return PQgetisnull(res, row, col) ? NULL : PQgetvalue(res, row, col);
}

static int valid_status(const char *s) {
    for (size_t i = 0; i < sizeof(STATUSES) / sizeof(STATUSES[0]); i++)
        if (!strcmp(s, STATUSES[i]))
            return 1;
    return 0;
}

/* held: the time each held alert will be asked instead of the status and outcome. */
static void print_list_text(PGresult *res, int n, int held) {
    if (held)
        printf("%-16s %-19s  %-19s  %-8s %-16s %-20s %s\n", "ID", "RECEIVED (UTC)",
               "ASKED AT (UTC)", "SEVERITY", "EMPLOYEE", "RULE", "TITLE");
    else
        printf("%-16s %-19s  %-20s %-20s %-8s %-16s %-20s %s\n", "ID", "RECEIVED (UTC)", "STATUS",
               "OUTCOME", "SEVERITY", "EMPLOYEE", "RULE", "TITLE");
    for (int r = 0; r < n; r++) {
        char when[20], ask[20];
        snprintf(when, sizeof(when), "%.19s", PQgetvalue(res, r, L_RECEIVED));
        snprintf(ask, sizeof(ask), "%.19s", PQgetvalue(res, r, L_ASK_AT));
        if (strlen(when) > 10)
            when[10] = ' ';
        if (strlen(ask) > 10)
            ask[10] = ' ';
        if (held)
            printf("%-16.16s %-19s  %-19s  %-8s ", PQgetvalue(res, r, L_ID), when, ask,
                   PQgetvalue(res, r, L_SEVERITY));
        else
            printf("%-16.16s %-19s  %-20s %-20s %-8s ", PQgetvalue(res, r, L_ID), when,
                   PQgetvalue(res, r, L_STATUS),
                   value(res, r, L_OUTCOME) ? value(res, r, L_OUTCOME) : "-",
                   PQgetvalue(res, r, L_SEVERITY));
        if (value(res, r, L_EMPLOYEE)) {
            sbctl_print_clean(value(res, r, L_EMPLOYEE), 15, 16);
        } else { /* nobody in the directory: the name as the detector wrote it */
            char unknown[400];
            snprintf(unknown, sizeof(unknown), "?%s", PQgetvalue(res, r, L_USER));
            sbctl_print_clean(unknown, 15, 16);
        }
        putchar(' ');
        sbctl_print_clean(PQgetvalue(res, r, L_RULE), 19, 20);
        putchar(' ');
        sbctl_print_clean(PQgetvalue(res, r, L_TITLE), 60, 0);
        putchar('\n');
    }
}

static int cmd_list(sbctl_t *ctl, int argc, char **argv) {
    int held = 0;
    const char *status = NULL, *outcome = NULL, *employee = NULL, *since = NULL, *limit = NULL,
               *format = NULL, *pos[1];
    const sbctl_opt_t opts[] = {
        {"--status", &status, NULL}, {"--outcome", &outcome, NULL}, {"--employee", &employee, NULL},
        {"--since", &since, NULL},   {"--limit", &limit, NULL},     {"--format", &format, NULL},
        {"--held", NULL, &held},
    };
    char since_buf[32], limit_buf[24], errstr[512];
    const char *params[6];
    sb_report_format_t fmt;
    long max = 100;
    int64_t now_us = sb_time_now_us(), since_us;
    int npos, n, rc;
    PGresult *res;
    sb_db_t *db;

    if (sbctl_parse_opts("alerts list", argc, argv, 2, opts, 7, pos, 0, &npos) == -1 ||
        sbctl_parse_format("alerts list", format, 0, &fmt) == -1 ||
        (limit && sbctl_parse_limit("alerts list", limit, LIST_MAX, &max) == -1) ||
        (since && sbctl_parse_time("alerts list", "--since", since, now_us, &since_us, since_buf,
                                   sizeof(since_buf)) == -1))
        return SBCTL_USAGE;
    if (status && !valid_status(status)) {
        fprintf(stderr, "sbctl alerts list: unknown status \"%.40s\" (see --help)\n", status);
        return SBCTL_USAGE;
    }
    snprintf(limit_buf, sizeof(limit_buf), "%ld", max);
    params[0] = status;
    params[1] = outcome;
    params[2] = employee;
    params[3] = since ? since_buf : NULL;
    params[4] = limit_buf;
    params[5] = held ? "true" : "false";
    if (!(db = sbctl_db(ctl)))
        return SBCTL_UNAVAILABLE;
    if (!(res = sb_db_query(db, LIST_SQL, 6, params, errstr, sizeof(errstr))))
        return sbctl_db_failed(ctl, "alerts list", errstr);
    n = PQntuples(res) > max ? (int)max : PQntuples(res);
    if (fmt == SB_REPORT_JSON) {
        cJSON *arr = cJSON_CreateArray();
        for (int r = 0; r < n; r++) {
            cJSON *o = cJSON_CreateObject();
            for (int c = 0; c < (int)(sizeof(LIST_KEYS) / sizeof(LIST_KEYS[0])); c++)
                sbctl_json_string(o, LIST_KEYS[c], value(res, r, c));
            cJSON_AddItemToArray(arr, o);
        }
        rc = sbctl_print_json(arr);
    } else {
        print_list_text(res, n, held);
        rc = SBCTL_OK;
    }
    if (PQntuples(res) > max)
        fprintf(stderr, "sbctl alerts list: more alerts match than the %ld shown (--limit)\n", max);
    PQclear(res);
    return rc;
}

/* ---- show ---- */

/* A JSON document from the database, or null when absent or unreadable. */
static cJSON *parsed(const char *text) {
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    return j ? j : cJSON_CreateNull();
}

static cJSON *rows_json(PGresult *res, const char *const *keys, int ncols, int json_col) {
    cJSON *arr = cJSON_CreateArray();
    for (int r = 0; r < PQntuples(res); r++) {
        cJSON *o = cJSON_CreateObject();
        for (int c = 0; c < ncols; c++) {
            if (c == json_col)
                cJSON_AddItemToObject(o, keys[c], parsed(value(res, r, c)));
            else
                sbctl_json_string(o, keys[c], value(res, r, c));
        }
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

/* The escalation row (row_to_json) with its times in the form of the rest
 * ("...Z", microseconds), or null. */
static cJSON *escalation(PGresult *esc) {
    cJSON *e = parsed(PQntuples(esc) ? PQgetvalue(esc, 0, 0) : NULL), *item;
    char utc[40];
    cJSON_ArrayForEach(item, e) {
        if (cJSON_IsString(item) && sb_time_normalize(item->valuestring, utc, sizeof(utc)) == 0)
            cJSON_SetValuestring(item, utc);
    }
    return e;
}

static int show_json(PGresult *alert, PGresult *conv, PGresult *audit, PGresult *esc) {
    static const char *const audit_keys[] = {"at", "actor", "action", "detail"};
    cJSON *root = cJSON_CreateObject(), *a = cJSON_AddObjectToObject(root, "alert");
    for (int c = 0; c < (int)(sizeof(SHOW_KEYS) / sizeof(SHOW_KEYS[0])); c++) {
        if (is_one_of(SHOW_KEYS[c], SHOW_DOCUMENTS))
            cJSON_AddItemToObject(a, SHOW_KEYS[c], parsed(value(alert, 0, c)));
        else if (is_one_of(SHOW_KEYS[c], SHOW_NUMBERS))
            cJSON_AddNumberToObject(a, SHOW_KEYS[c], strtod(PQgetvalue(alert, 0, c), NULL));
        else
            sbctl_json_string(a, SHOW_KEYS[c], value(alert, 0, c));
    }
    cJSON_AddItemToObject(root, "conversation", rows_json(conv, CONVERSATION_KEYS, 6, -1));
    cJSON_AddItemToObject(root, "audit", rows_json(audit, audit_keys, 4, 3));
    cJSON_AddItemToObject(root, "escalation", escalation(esc));
    return sbctl_print_json(root);
}

/* "  decided at:       value" */
static void show_field(const char *key, const char *v, size_t max) {
    char label[LABEL_WIDTH + 1];
    snprintf(label, sizeof(label), "%s:", key);
    for (char *p = label; *p; p++)
        if (*p == '_')
            *p = ' ';
    printf("  %-*s", LABEL_WIDTH, label);
    if (v)
        sbctl_print_clean(v, max, 0);
    else
        putchar('-');
    putchar('\n');
}

static void show_text(PGresult *alert, PGresult *conv, PGresult *audit, PGresult *esc) {
    printf("Alert %s\n", PQgetvalue(alert, 0, 0));
    for (int c = 1; c < SHOW_RAW; c++)
        show_field(SHOW_KEYS[c], value(alert, 0, c), 1000);
    printf("\nConversation (%d)\n", PQntuples(conv));
    for (int r = 0; r < PQntuples(conv); r++) {
        printf("  %s  %-7s ", PQgetvalue(conv, r, 0), PQgetvalue(conv, r, 1));
        sbctl_print_clean(PQgetvalue(conv, r, 2), 40, 0);
        printf(" (%s)", PQgetvalue(conv, r, 3));
        if (value(conv, r, 4) && *PQgetvalue(conv, r, 4)) {
            printf(": \"");
            sbctl_print_clean(PQgetvalue(conv, r, 4), 1000, 0);
            putchar('"');
        }
        putchar('\n');
    }
    printf("\nAudit trail (%d)\n", PQntuples(audit));
    for (int r = 0; r < PQntuples(audit); r++) {
        printf("  %s  ", PQgetvalue(audit, r, 0));
        sbctl_print_clean(PQgetvalue(audit, r, 1), 60, 0);
        putchar(' ');
        sbctl_print_clean(PQgetvalue(audit, r, 2), 60, 0);
        if (value(audit, r, 3)) {
            putchar(' ');
            sbctl_print_clean(PQgetvalue(audit, r, 3), 1000, 0);
        }
        putchar('\n');
    }
    printf("\nEscalation\n");
    if (!PQntuples(esc)) {
        printf("  none\n");
        return;
    }
    cJSON *e = escalation(esc), *item;
    cJSON_ArrayForEach(item, e) {
        if (!strcmp(item->string, "alert_id") || cJSON_IsNull(item))
            continue;
        if (cJSON_IsString(item)) {
            show_field(item->string, item->valuestring, 1000);
        } else {
            char *v = cJSON_PrintUnformatted(item);
            show_field(item->string, v, 1000);
            free(v);
        }
    }
    cJSON_Delete(e);
}

static int cmd_show(sbctl_t *ctl, int argc, char **argv) {
    const char *format = NULL, *pos[1];
    const sbctl_opt_t opts[] = {{"--format", &format, NULL}};
    char id[65], errstr[512];
    const char *params[] = {id};
    PGresult *res[4] = {NULL, NULL, NULL, NULL};
    const char *const sql[] = {SHOW_SQL, CONVERSATION_SQL, AUDIT_SQL, ESCALATION_SQL};
    sb_report_format_t fmt;
    int npos, rc;
    sb_db_t *db;

    if (sbctl_parse_opts("alerts show", argc, argv, 2, opts, 1, pos, 1, &npos) == -1 ||
        sbctl_parse_format("alerts show", format, 0, &fmt) == -1)
        return SBCTL_USAGE;
    if (npos != 1) {
        fputs(USAGE, stderr);
        return SBCTL_USAGE;
    }
    if ((rc = sbctl_find_alert(ctl, "alerts show", pos[0], id)) != SBCTL_OK)
        return rc;
    db = sbctl_db(ctl);
    /* one snapshot for the four statements */
    if (sb_db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, errstr,
                   sizeof(errstr)) == -1) {
        rc = sbctl_db_failed(ctl, "alerts show", errstr);
        goto out;
    }
    for (int i = 0; i < 4; i++) {
        if (!(res[i] = sb_db_query(db, sql[i], 1, params, errstr, sizeof(errstr)))) {
            rc = sbctl_db_failed(ctl, "alerts show", errstr);
            goto out;
        }
    }
    if (PQntuples(res[0]) != 1) { /* gone meanwhile: alerts are never deleted, but still */
        fprintf(stderr, "sbctl alerts show: alert %s is unknown\n", id);
        rc = SBCTL_FAIL;
        goto out;
    }
    if (fmt == SB_REPORT_JSON) {
        rc = show_json(res[0], res[1], res[2], res[3]);
    } else {
        show_text(res[0], res[1], res[2], res[3]);
        rc = SBCTL_OK;
    }
out:
    sb_db_rollback(db);
    for (int i = 0; i < 4; i++)
        PQclear(res[i]);
    return rc;
}

int sbctl_cmd_alerts(sbctl_t *ctl, int argc, char **argv) {
    static const sbctl_sub_t subs[] = {
        {"list", cmd_list},
        {"show", cmd_show},
    };
    return sbctl_dispatch(ctl, argc, argv, USAGE, subs, sizeof(subs) / sizeof(subs[0]));
}
