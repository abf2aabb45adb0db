/* employees: `sbctl employees import|list|optout|optin`, the employee directory. */

/* An import is all or nothing: every row is checked first (reporting each
 * bad line by number), then the whole file is applied in one transaction;
 * a conflict the database finds (a name already used by someone else)
 * rolls everything back, naming the line. Employees absent from the file
 * are left as they are. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "employees_csv.h"
#include "sbctl.h"

static const char USAGE[] =
    "Usage: sbctl employees import FILE.csv\n"
    "       sbctl employees list [--format text|json]\n"
    "       sbctl employees optout USER [--reason R]\n"
    "       sbctl employees optin USER [--reason R]\n\n"
    "import loads or updates the directory from a CSV file whose header row is\n"
    "username,email,chat_user_id,aliases, optionally followed by timezone and\n"
    "working_hours (aliases separated by ';', chat_user_id may be empty; fields\n"
    "may be quoted as in RFC 4180). timezone is an IANA name (Europe/Berlin),\n"
    "checked against the system's zone database; empty: the chat profile's zone,\n"
    "else SECURITYBOT_DEFAULT_TIMEZONE. working_hours overrides\n"
    "SECURITYBOT_WORKING_HOURS (\"09:00-18:00 Mon-Fri\"); empty: the default. A\n"
    "column the file lacks leaves what is stored. Each employee is matched by\n"
    "username, case-insensitively.\n"
    "A bad row is reported with its line number and nothing of the file is\n"
    "applied. Employees not in the file are left unchanged.\n\n"
    "list shows each employee's time zone (and where it comes from) and whether\n"
    "they are in working hours now.\n\n"
    "optout marks the employee (USER: username, e-mail or alias) as opted out:\n"
    "from then on sb-ingest escalates their new alerts at once (reason\n"
    "opted_out) instead of asking them; alerts already queued are still asked\n"
    "about. optin undoes it. Both are recorded in audit_log; doing either twice\n"
    "changes nothing. Exit codes: 0 done, 1 unknown employee, 2 usage,\n"
    "3 unavailable.\n";

/* $5 timezone, $6 working hours, $7/$8: whether the file has those
 * columns (without one, what is stored stays). An empty timezone drops a
 * zone the directory gave, never one learned from the chat profile. */
static const char *const UPSERT_SQL =
    "INSERT INTO employees (username, email, chat_user_id, aliases, timezone, timezone_source,"
    "                       working_hours)"
    " VALUES ($1, nullif($2, ''), nullif($3, ''),"
    "         coalesce(array_remove(string_to_array($4, ';'), ''), '{}'), nullif($5, ''),"
    "         CASE WHEN $5 <> '' THEN 'directory' END, nullif($6, ''))"
    " ON CONFLICT ((lower(username))) DO UPDATE SET"
    "   username = excluded.username, email = excluded.email,"
    "   chat_user_id = excluded.chat_user_id, aliases = excluded.aliases, updated_at = now(),"
    "   timezone = CASE WHEN NOT $7::boolean THEN employees.timezone WHEN $5 <> '' THEN $5"
    "     WHEN employees.timezone_source = 'directory' THEN NULL ELSE employees.timezone END,"
    "   timezone_source = CASE WHEN NOT $7::boolean THEN employees.timezone_source"
    "     WHEN $5 <> '' THEN 'directory' WHEN employees.timezone_source = 'directory' THEN NULL"
    "     ELSE employees.timezone_source END,"
    "   timezone_looked_up_at = CASE WHEN $7::boolean AND $5 = ''"
    "     AND employees.timezone_source = 'directory' THEN NULL"
    "     ELSE employees.timezone_looked_up_at END,"
    "   working_hours = CASE WHEN $8::boolean THEN nullif($6, '') ELSE employees.working_hours END"
    " RETURNING id, (xmax = 0) AS inserted";

/* Every name the employee goes by, lower-cased. A name already used by
 * another employee violates the primary key: the import stops there. */
static const char *const IDENTITIES_SQL =
    "INSERT INTO employee_identities (identity, employee_id, kind)"
    " SELECT DISTINCT ON (lower(name)) lower(name), $1::bigint, kind FROM ("
    "   SELECT $2::text AS name, 'username' AS kind, 0 AS rank"
    "   UNION ALL SELECT nullif($3, ''), 'email', 1"
    "   UNION ALL SELECT trim(a), 'alias', 2 FROM unnest(string_to_array($4, ';')) AS a"
    " ) n WHERE coalesce(name, '') <> ''"
    " ORDER BY lower(name), rank";

static const char *const AUDIT_SQL =
    "INSERT INTO audit_log (actor, action, employee_id, detail)"
    " VALUES ('sbctl', $2, $1::bigint, json_build_object('source', $3::text))";

/* Applies one row inside the open transaction. */
static int apply_row(sb_db_t *db, const employee_row_t *r, const int *has, const char *path,
                     int *inserted, char *errstr, size_t errstr_size) {
    const char *up[] = {r->field[0],
                        r->field[1],
                        r->field[2],
                        r->field[3],
                        r->field[EMPLOYEES_CSV_TZ],
                        r->field[EMPLOYEES_CSV_HOURS],
                        has[EMPLOYEES_CSV_TZ] ? "true" : "false",
                        has[EMPLOYEES_CSV_HOURS] ? "true" : "false"};
    PGresult *res = sb_db_query(db, UPSERT_SQL, 8, up, errstr, errstr_size);
    char id[32];

    if (!res)
        return -1;
    snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
    *inserted = PQgetvalue(res, 0, 1)[0] == 't';
    PQclear(res);
    {
        const char *dp[] = {id};
        const char *ip[] = {id, r->field[0], r->field[1], r->field[3]};
        const char *ap[] = {id, *inserted ? "employee_created" : "employee_updated", path};
        if (sb_db_exec(db, "DELETE FROM employee_identities WHERE employee_id = $1", 1, dp, errstr,
                       errstr_size) == -1)
            return -1;
        if (sb_db_exec(db, IDENTITIES_SQL, 4, ip, errstr, errstr_size) == -1) {
            if (!strcmp(sb_db_last_sqlstate(db), "23505"))
                snprintf(errstr, errstr_size,
                         "a username, e-mail or alias of \"%.64s\" already belongs to another "
                         "employee",
                         r->field[0]);
            return -1;
        }
        if (sb_db_exec(db, AUDIT_SQL, 3, ap, errstr, errstr_size) == -1)
            return -1;
    }
    return 0;
}

static int cmd_import(sbctl_t *ctl, const char *path) {
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    employee_row_t *rows;
    size_t n = 0, created = 0;
    int bad, rc = SBCTL_FAIL, has[EMPLOYEES_CSV_FIELDS];
    char errstr[512];
    sb_db_t *db;

    if (!f) {
        fprintf(stderr, "sbctl employees import: cannot open %s: %s\n", path, strerror(errno));
        return SBCTL_FAIL;
    }
    rows = employees_csv_read(f, path, &n, &bad, has);
    if (f != stdin)
        fclose(f);
    if (bad) {
        fprintf(stderr, "sbctl employees import: %d bad line(s); nothing was applied\n", bad);
        goto out;
    }
    if (!(db = sbctl_db(ctl))) {
        rc = SBCTL_UNAVAILABLE;
        goto out;
    }
    if (sb_db_begin(db, errstr, sizeof(errstr)) == -1) {
        fprintf(stderr, "sbctl employees import: %s\n", errstr);
        rc = SBCTL_UNAVAILABLE;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        int inserted;
        if (apply_row(db, &rows[i], has, path, &inserted, errstr, sizeof(errstr)) == -1) {
            fprintf(stderr, "%s:%d: %s\n", path, rows[i].line, errstr);
            fprintf(stderr, "sbctl employees import: nothing was applied\n");
            sb_db_rollback(db);
            goto out;
        }
        created += (size_t)inserted;
    }
    if (sb_db_commit(db, errstr, sizeof(errstr)) == -1) {
        fprintf(stderr, "sbctl employees import: %s; nothing was applied\n", errstr);
        goto out;
    }
    printf("imported %zu employee(s): %zu new, %zu updated\n", n, created, n - created);
    rc = SBCTL_OK;
out:
    employees_rows_free(rows, n);
    return rc;
}

/* The employee's zone, its source, hours and whether now is inside them,
 * for row r of the list query (columns 8..10: timezone, source, hours). */
typedef struct {
    const char *zone, *source, *hours;
    int working; /* 1, 0, or -1 when it cannot be told (a bad stored value) */
} emp_hours_t;

static emp_hours_t hours_of(const sbctl_t *ctl, PGresult *res, int r, int64_t now) {
    emp_hours_t e = {ctl->hours.default_zone, "default", ctl->hours.working_hours, -1};
    char why[256];
    sb_hours_t h;
    if (!PQgetisnull(res, r, 8))
        e.zone = PQgetvalue(res, r, 8), e.source = PQgetvalue(res, r, 9);
    if (!PQgetisnull(res, r, 10))
        e.hours = PQgetvalue(res, r, 10);
    if (sb_hours_parse(e.hours, &h, why, sizeof(why)) == 0 &&
        sb_hours_working(e.zone, &h, now, &e.working, why, sizeof(why)) == -1)
        e.working = -1;
    return e;
}

static int cmd_list(sbctl_t *ctl, int json) {
    char errstr[512];
    sb_db_t *db = sbctl_db(ctl);
    PGresult *res;
    int64_t now;
    if (!db)
        return SBCTL_UNAVAILABLE;
    if (sb_hours_settle(&ctl->hours, errstr, sizeof(errstr)) == -1) {
        fprintf(stderr, "sbctl employees list: %s\n", errstr);
        return SBCTL_USAGE;
    }
    now = sb_hours_now(&ctl->hours);
    res = sb_db_query(db,
                      "SELECT id, username, coalesce(email, ''), coalesce(chat_user_id, ''),"
                      " array_to_string(aliases, ';'), opted_out, second_factor,"
                      " coalesce(duo_username, ''), timezone, timezone_source, working_hours"
                      " FROM employees ORDER BY id",
                      0, NULL, errstr, sizeof(errstr));
    if (!res) {
        fprintf(stderr, "sbctl employees list: %s\n", errstr);
        return SBCTL_FAIL;
    }
    if (json) {
        cJSON *arr = cJSON_CreateArray();
        char *out;
        for (int r = 0; r < PQntuples(res); r++) {
            cJSON *o = cJSON_CreateObject();
            emp_hours_t e = hours_of(ctl, res, r, now);
            cJSON_AddStringToObject(o, "id", PQgetvalue(res, r, 0));
            cJSON_AddStringToObject(o, "username", PQgetvalue(res, r, 1));
            cJSON_AddStringToObject(o, "email", PQgetvalue(res, r, 2));
            cJSON_AddStringToObject(o, "chat_user_id", PQgetvalue(res, r, 3));
            cJSON_AddStringToObject(o, "aliases", PQgetvalue(res, r, 4));
            cJSON_AddBoolToObject(o, "opted_out", PQgetvalue(res, r, 5)[0] == 't');
            cJSON_AddStringToObject(o, "second_factor", PQgetvalue(res, r, 6));
            if (*PQgetvalue(res, r, 7))
                cJSON_AddStringToObject(o, "duo_username", PQgetvalue(res, r, 7));
            cJSON_AddStringToObject(o, "timezone", e.zone);
            cJSON_AddStringToObject(o, "timezone_source", e.source);
            cJSON_AddStringToObject(o, "working_hours", e.hours);
            if (e.working >= 0)
                cJSON_AddBoolToObject(o, "in_working_hours", e.working);
            else
                cJSON_AddNullToObject(o, "in_working_hours");
            cJSON_AddItemToArray(arr, o);
        }
        out = cJSON_Print(arr);
        printf("%s\n", out ? out : "[]");
        free(out);
        cJSON_Delete(arr);
    } else {
        printf("%-6s %-24s %-32s %-12s %-6s %-28s %-7s %s\n", "ID", "USERNAME", "EMAIL", "CHAT",
               "FACTOR", "TIMEZONE", "NOW", "ALIASES");
        for (int r = 0; r < PQntuples(res); r++) {
            emp_hours_t e = hours_of(ctl, res, r, now);
            printf("%-6s %-24s %-32s %-12s %-6s %-28s %-7s %s%s\n", PQgetvalue(res, r, 0),
                   PQgetvalue(res, r, 1), PQgetvalue(res, r, 2), PQgetvalue(res, r, 3),
                   PQgetvalue(res, r, 6), e.zone,
                   e.working == 1   ? "working"
                   : e.working == 0 ? "off"
                                    : "?",
                   PQgetvalue(res, r, 4), PQgetvalue(res, r, 5)[0] == 't' ? " (opted out)" : "");
        }
    }
    PQclear(res);
    return SBCTL_OK;
}

/* $1 employee name, $2 opted out (true/false), $3 action, $4 detail. The
 * row is locked, so of two concurrent calls only one changes and audits. */
static const char *const OPT_SQL =
    "WITH e AS (SELECT e.id, e.username, e.opted_out FROM employee_identities ei"
    "   JOIN employees e ON e.id = ei.employee_id WHERE ei.identity = lower($1)"
    "   FOR UPDATE OF e),"
    " upd AS (UPDATE employees SET opted_out = $2::boolean, updated_at = now() FROM e"
    "   WHERE employees.id = e.id AND e.opted_out <> $2::boolean RETURNING employees.id),"
    " audit AS (INSERT INTO audit_log (actor, action, employee_id, detail)"
    "   SELECT 'sbctl', $3, id, $4::jsonb FROM upd)"
    " SELECT e.username, (SELECT count(*) FROM upd) FROM e";

static int cmd_opt(sbctl_t *ctl, int argc, char **argv, int out) {
    const char *reason = NULL, *pos[1];
    const sbctl_opt_t opts[] = {{"--reason", &reason, NULL}};
    const char *cmd = out ? "employees optout" : "employees optin";
    char errstr[512], *detail = NULL;
    cJSON *d = cJSON_CreateObject();
    PGresult *res = NULL;
    sb_db_t *db;
    int npos, rc = SBCTL_USAGE;

    if (sbctl_parse_opts(cmd, argc, argv, 2, opts, 1, pos, 1, &npos) == -1)
        goto out;
    if (npos != 1) {
        fputs(USAGE, stderr);
        goto out;
    }
    sbctl_json_string(d, "reason", reason);
    cJSON_AddStringToObject(d, "operator", sbctl_operator());
    rc = SBCTL_FAIL;
    if (!(detail = cJSON_PrintUnformatted(d)))
        goto out;
    rc = SBCTL_UNAVAILABLE;
    if (!(db = sbctl_db(ctl)))
        goto out;
    {
        const char *params[] = {pos[0], out ? "true" : "false",
                                out ? "employee_opted_out" : "employee_opted_in", detail};
        res = sb_db_query(db, OPT_SQL, 4, params, errstr, sizeof(errstr));
    }
    if (!res) {
        rc = sbctl_db_failed(ctl, cmd, errstr);
        goto out;
    }
    rc = SBCTL_FAIL;
    if (PQntuples(res) != 1) {
        fprintf(stderr, "sbctl %s: no employee is called \"%.80s\"\n", cmd, pos[0]);
        goto out;
    }
    sbctl_print_clean(PQgetvalue(res, 0, 0), 320, 0);
    if (strcmp(PQgetvalue(res, 0, 1), "0"))
        printf(out ? " opted out: their new alerts are escalated without asking them\n"
                   : " opted in: they are asked about their new alerts again\n");
    else
        printf(out ? " was already opted out\n" : " was not opted out\n");
    rc = SBCTL_OK;
out:
    PQclear(res);
    free(detail);
    cJSON_Delete(d);
    return rc;
}

int sbctl_cmd_employees(sbctl_t *ctl, int argc, char **argv) {
    if (sbctl_wants_help(argc, argv, USAGE))
        return SBCTL_OK;
    if (argc == 3 && !strcmp(argv[1], "import"))
        return cmd_import(ctl, argv[2]);
    if (argc >= 2 && (!strcmp(argv[1], "optout") || !strcmp(argv[1], "optin")))
        return cmd_opt(ctl, argc, argv, !strcmp(argv[1], "optout"));
    if (argc >= 2 && !strcmp(argv[1], "list")) {
        if (argc == 2)
            return cmd_list(ctl, 0);
        if (argc == 4 && !strcmp(argv[2], "--format") &&
            (!strcmp(argv[3], "json") || !strcmp(argv[3], "text")))
            return cmd_list(ctl, !strcmp(argv[3], "json"));
    }
    fputs(USAGE, stderr);
    return SBCTL_USAGE;
}
