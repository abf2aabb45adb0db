/* ignore: `sbctl ignore list|add|remove`, the ignore rules sb-ingest applies. */

/* An employee's alerts of one rule, or of every rule, are suppressed until
 * a time. Every change is recorded in audit_log by the same statement. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_time.h"
#include "sb_utf8.h"
#include "sbctl.h"

static const char USAGE[] =
    "Usage: sbctl ignore list [--all] [--format text|json]\n"
    "       sbctl ignore add USER RULE --for DURATION [--reason R]\n"
    "       sbctl ignore remove ID\n\n"
    "While a rule is active, sb-ingest records the employee's new alerts of that\n"
    "rule as suppressed instead of asking them (an opted-out employee is still\n"
    "escalated). RULE '*' matches every rule. USER: username, e-mail or alias.\n"
    "DURATION: 1m to 30d (90m, 2h, 7d). list shows the active rules (--all: the\n"
    "expired too); remove deletes a rule by the ID that add and list print.\n"
    "Exit codes: 0 ok, 1 unknown employee or rule, 2 usage, 3 unavailable.\n";

#define MIN_FOR_MS (60 * 1000LL)
#define MAX_FOR_MS (30 * 86400 * 1000LL) /* operators: a month at most, then decide again */
#define RULE_MAX   256                   /* as in the alert schema */
#define REASON_MAX 500

/* $1 true: expired rules too. */
/* clang-format off */
static const char *const LIST_SQL =
    "SELECT r.id::text, e.username, r.rule, " SBCTL_TS("r.until") ", r.reason, r.created_by,"
    "  " SBCTL_TS("r.created_at") ", r.until > now()"
    " FROM ignore_rules r JOIN employees e ON e.id = r.employee_id"
    " WHERE $1::boolean OR r.until > now() ORDER BY r.id";
/* clang-format on */
static const char *const LIST_KEYS[] = {"id",     "employee",   "rule",      "until",
                                        "reason", "created_by", "created_at"};

/* $1 employee, $2 rule, $3 ms, $4 reason, $5 created_by, $6 operator. */
static const char *const ADD_SQL =
    "WITH ins AS (INSERT INTO ignore_rules (employee_id, rule, until, reason, created_by)"
    "   VALUES ($1::bigint, $2, now() + $3::bigint * interval '1 millisecond', $4, $5)"
    "   RETURNING id, employee_id, rule, until, reason),"
    " audit AS (INSERT INTO audit_log (actor, action, employee_id, detail)"
    "   SELECT 'sbctl', 'ignore_rule_added', employee_id,"
    "     jsonb_build_object('id', id, 'rule', rule, 'until', until, 'reason', reason,"
    "                        'operator', $6::text) FROM ins)"
    " SELECT id::text, " SBCTL_TS("until") " FROM ins";

/* $1 rule id, $2 operator. */
static const char *const REMOVE_SQL =
    "WITH del AS (DELETE FROM ignore_rules WHERE id = $1::bigint"
    "   RETURNING id, employee_id, rule, until, reason, created_by),"
    " audit AS (INSERT INTO audit_log (actor, action, employee_id, detail)"
    "   SELECT 'sbctl', 'ignore_rule_removed', employee_id,"
    "     jsonb_build_object('id', id, 'rule', rule, 'until', until, 'reason', reason,"
    "                        'created_by', created_by, 'operator', $2::text) FROM del)"
    " SELECT e.username, d.rule FROM del d JOIN employees e ON e.id = d.employee_id";

static int cmd_list(sbctl_t *ctl, int argc, char **argv) {
    const char *format = NULL, *pos[1];
    int all = 0, npos, rc = SBCTL_OK;
    const sbctl_opt_t opts[] = {{"--format", &format, NULL}, {"--all", NULL, &all}};
    const char *params[1];
    char errstr[512];
    sb_report_format_t fmt;
    PGresult *res;
    sb_db_t *db;

    if (sbctl_parse_opts("ignore list", argc, argv, 2, opts, 2, pos, 0, &npos) == -1 ||
        sbctl_parse_format("ignore list", format, 0, &fmt) == -1)
        return SBCTL_USAGE;
    params[0] = all ? "true" : "false";
    if (!(db = sbctl_db(ctl)))
        return SBCTL_UNAVAILABLE;
    if (!(res = sb_db_query(db, LIST_SQL, 1, params, errstr, sizeof(errstr))))
        return sbctl_db_failed(ctl, "ignore list", errstr);
    if (fmt == SB_REPORT_JSON) {
        cJSON *arr = cJSON_CreateArray();
        for (int r = 0; r < PQntuples(res); r++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddNumberToObject(o, "id", strtod(PQgetvalue(res, r, 0), NULL));
            for (int c = 1; c < 7; c++)
                sbctl_json_string(o, LIST_KEYS[c],
                                  PQgetisnull(res, r, c) ? NULL : PQgetvalue(res, r, c));
            cJSON_AddBoolToObject(o, "active", PQgetvalue(res, r, 7)[0] == 't');
            cJSON_AddItemToArray(arr, o);
        }
        rc = sbctl_print_json(arr);
    } else {
        printf("%-6s %-20s %-24s %-20s %-20s %s\n", "ID", "EMPLOYEE", "RULE", "UNTIL (UTC)",
               "CREATED BY", "REASON");
        for (int r = 0; r < PQntuples(res); r++) {
            char until[20];
            snprintf(until, sizeof(until), "%.19s", PQgetvalue(res, r, 3));
            until[10] = ' ';
            printf("%-6s ", PQgetvalue(res, r, 0));
            sbctl_print_clean(PQgetvalue(res, r, 1), 19, 20);
            putchar(' ');
            sbctl_print_clean(PQgetvalue(res, r, 2), 23, 24);
            printf(" %-20s ", until);
            sbctl_print_clean(PQgetvalue(res, r, 5), 19, 20);
            putchar(' ');
            sbctl_print_clean(PQgetvalue(res, r, 4), 200, 0);
            if (PQgetvalue(res, r, 7)[0] != 't')
                printf(" (expired)");
            putchar('\n');
        }
    }
    PQclear(res);
    return rc;
}

static int clean_text(const char *s, size_t max) {
    if (!sb_utf8_valid(s, strlen(s)) || sb_utf8_length(s) > max)
        return 0;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 0;
    return 1;
}

static int cmd_add(sbctl_t *ctl, int argc, char **argv) {
    const char *duration = NULL, *reason = NULL, *pos[2];
    const sbctl_opt_t opts[] = {{"--for", &duration, NULL}, {"--reason", &reason, NULL}};
    char employee[24], username[330], ms_buf[24], created_by[96], errstr[512];
    int64_t ms;
    int npos, rc;
    PGresult *res;

    if (sbctl_parse_opts("ignore add", argc, argv, 2, opts, 2, pos, 2, &npos) == -1)
        return SBCTL_USAGE;
    if (npos != 2 || !duration) {
        fputs(USAGE, stderr);
        return SBCTL_USAGE;
    }
    if (sb_time_parse_duration_ms(duration, &ms) == -1 || ms < MIN_FOR_MS || ms > MAX_FOR_MS) {
        fprintf(stderr, "sbctl ignore add: --for must be a duration from 1m to 30d\n");
        return SBCTL_USAGE;
    }
    if (!*pos[1] || !clean_text(pos[1], RULE_MAX)) {
        fprintf(stderr, "sbctl ignore add: RULE must be 1-%d characters of text\n", RULE_MAX);
        return SBCTL_USAGE;
    }
    if (reason && !clean_text(reason, REASON_MAX)) {
        fprintf(stderr, "sbctl ignore add: --reason must be at most %d characters of text\n",
                REASON_MAX);
        return SBCTL_USAGE;
    }
    if ((rc = sbctl_find_employee(ctl, "ignore add", pos[0], employee, sizeof(employee), username,
                                  sizeof(username))) != SBCTL_OK)
        return rc;
    snprintf(ms_buf, sizeof(ms_buf), "%lld", (long long)ms);
    snprintf(created_by, sizeof(created_by), "sbctl:%.80s", sbctl_operator());
    {
        const char *params[] = {employee, pos[1], ms_buf, reason, created_by, sbctl_operator()};
        res = sb_db_query(ctl->db, ADD_SQL, 6, params, errstr, sizeof(errstr));
    }
    if (!res)
        return sbctl_db_failed(ctl, "ignore add", errstr);
    printf("ignore rule %s: ", PQgetvalue(res, 0, 0));
    sbctl_print_clean(pos[1], RULE_MAX, 0);
    printf(" for ");
    sbctl_print_clean(username, 320, 0);
    printf(" until %s\n", PQgetvalue(res, 0, 1));
    PQclear(res);
    return SBCTL_OK;
}

static int cmd_remove(sbctl_t *ctl, int argc, char **argv) {
    const char *pos[1];
    char errstr[512];
    int npos, rc = SBCTL_OK;
    PGresult *res;
    sb_db_t *db;

    if (sbctl_parse_opts("ignore remove", argc, argv, 2, NULL, 0, pos, 1, &npos) == -1)
        return SBCTL_USAGE;
    if (npos != 1) {
        fputs(USAGE, stderr);
        return SBCTL_USAGE;
    }
    if (!*pos[0] || strspn(pos[0], "0123456789") != strlen(pos[0]) || strlen(pos[0]) > 18) {
        fprintf(stderr, "sbctl ignore remove: ID is a rule's number (see ignore list)\n");
        return SBCTL_USAGE;
    }
    if (!(db = sbctl_db(ctl)))
        return SBCTL_UNAVAILABLE;
    {
        const char *params[] = {pos[0], sbctl_operator()};
        res = sb_db_query(db, REMOVE_SQL, 2, params, errstr, sizeof(errstr));
    }
    if (!res)
        return sbctl_db_failed(ctl, "ignore remove", errstr);
    if (PQntuples(res) == 0) {
        fprintf(stderr, "sbctl ignore remove: there is no ignore rule %s\n", pos[0]);
        rc = SBCTL_FAIL;
    } else {
        printf("removed ignore rule %s: ", pos[0]);
        sbctl_print_clean(PQgetvalue(res, 0, 1), RULE_MAX, 0);
        printf(" for ");
        sbctl_print_clean(PQgetvalue(res, 0, 0), 320, 0);
        putchar('\n');
    }
    PQclear(res);
    return rc;
}

int sbctl_cmd_ignore(sbctl_t *ctl, int argc, char **argv) {
    static const sbctl_sub_t subs[] = {
        {"list", cmd_list},
        {"add", cmd_add},
        {"remove", cmd_remove},
    };
    return sbctl_dispatch(ctl, argc, argv, USAGE, subs, sizeof(subs) / sizeof(subs[0]));
}
