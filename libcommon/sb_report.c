/* sb_report: the rollup of a window's alerts, read in one snapshot; window and format options. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_report.h"
#include "sb_time.h"

#define TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

#define MAX_BACK_MS INT64_C(3155760000000)        /* 100 years: longer is a typo */
#define YEAR_1_US   (-INT64_C(62135596800000000)) /* 0001-01-01T00:00:00Z */

/* $1, $2 the window. Every grouping in one pass: grouping() is 1 for a
 * column the row does not group by, so (1,1) is the window, (0,1) a rule,
 * (1,0) an outcome, (0,0) one outcome within one rule. */
static const char *const GROUPS_SQL =
    "SELECT grouping(rule), grouping(o), rule, o, count(*), count(prompted_at),"
    "  count(*) FILTER (WHERE prompted_at IS NOT NULL AND answered_at IS NOT NULL),"
    "  percentile_cont(0.5) WITHIN GROUP"
    "    (ORDER BY extract(epoch FROM answered_at - prompted_at)::float8)"
    " FROM (SELECT rule, coalesce(outcome, 'open') AS o, prompted_at, answered_at FROM alerts"
    "       WHERE received_at >= $1::timestamptz AND received_at < $2::timestamptz) a"
    " GROUP BY GROUPING SETS ((), (rule), (o), (rule, o))"
    " ORDER BY 1 DESC, 2 DESC, 5 DESC, 3, 4";
enum { G_NO_RULE, G_NO_OUTCOME, G_RULE, G_OUTCOME, G_ALERTS, G_PROMPTED, G_ANSWERED, G_MEDIAN };

/* $1, $2 the window: the alerts someone should look at, and what the
 * security team made of their escalations. */
/* clang-format off */
static const char *const FLAGGED_SQL =
    "SELECT a.id, " TS("a.received_at") ", a.rule, a.severity, a.title, a.username,"
    "  e.username, a.outcome, a.comment, a.second_factor, " TS("a.answered_at") ","
    "  s.acknowledged_by, s.verdict, s.resolved_by, " TS("s.resolved_at") ", s.resolution_note"
    " FROM alerts a LEFT JOIN employees e ON e.id = a.employee_id"
    " LEFT JOIN escalations s ON s.alert_id = a.id"
    " WHERE a.received_at >= $1::timestamptz AND a.received_at < $2::timestamptz"
    "   AND a.outcome IN ('denied', 'no_response', 'second_factor_failed')"
    " ORDER BY a.received_at, a.id";
/* clang-format on */
#define FLAGGED_COLS 16

/* $1, $2 the window: its alerts' escalations by state (open, acknowledged,
 * or the verdict). */
static const char *const ESCALATIONS_SQL =
    "SELECT coalesce(s.verdict,"
    "         CASE WHEN s.acknowledged_at IS NULL THEN 'open' ELSE 'acknowledged' END) AS state,"
    "  count(*) FROM escalations s JOIN alerts a ON a.id = s.alert_id"
    " WHERE a.received_at >= $1::timestamptz AND a.received_at < $2::timestamptz"
    " GROUP BY 1 ORDER BY 2 DESC, 1";

/* $1, $2 the window: the alerts about the wrong person ("not me"), per
 * rule (grouping(source) = 1) and per source (grouping(rule) = 1). */
static const char *const WRONG_SQL =
    "SELECT grouping(rule), coalesce(rule, source), count(*) FROM alerts"
    " WHERE received_at >= $1::timestamptz AND received_at < $2::timestamptz"
    "   AND outcome = 'wrong_employee'"
    " GROUP BY GROUPING SETS ((rule), (source)) ORDER BY 1, 3 DESC, 2";

static char *dup_value(PGresult *res, int row, int col) {
    return PQgetisnull(res, row, col) ? NULL : strdup(PQgetvalue(res, row, col));
}

static void group_fill(sb_report_group_t *g, PGresult *res, int row, int name_col) {
    g->name = name_col < 0 ? NULL : dup_value(res, row, name_col);
    g->alerts = atol(PQgetvalue(res, row, G_ALERTS));
    g->prompted = atol(PQgetvalue(res, row, G_PROMPTED));
    g->answered = atol(PQgetvalue(res, row, G_ANSWERED));
    g->median_answer_s =
        PQgetisnull(res, row, G_MEDIAN) ? -1.0 : strtod(PQgetvalue(res, row, G_MEDIAN), NULL);
}

/* Adds one outcome count to its rule's breakdown (rows come most first). */
static int cell_add(sb_report_t *r, PGresult *res, int row) {
    const char *rule = PQgetvalue(res, row, G_RULE);
    for (size_t i = 0; i < r->nrules; i++) {
        sb_report_group_t *g = &r->rules[i];
        sb_report_count_t *grown;
        if (!g->name || strcmp(g->name, rule))
            continue;
        if (!(grown = realloc(g->outcomes, (g->noutcomes + 1) * sizeof(*grown))))
            return -1;
        g->outcomes = grown;
        grown[g->noutcomes].outcome = strdup(PQgetvalue(res, row, G_OUTCOME));
        grown[g->noutcomes].alerts = atol(PQgetvalue(res, row, G_ALERTS));
        return grown[g->noutcomes++].outcome ? 0 : -1;
    }
    return 0;
}

static int read_groups(sb_report_t *r, PGresult *res) {
    int n = PQntuples(res);
    r->rules = calloc((size_t)n + 1, sizeof(*r->rules));
    r->outcomes = calloc((size_t)n + 1, sizeof(*r->outcomes));
    if (!r->rules || !r->outcomes)
        return -1;
    for (int i = 0; i < n; i++) {
        int no_rule = PQgetvalue(res, i, G_NO_RULE)[0] == '1';
        int no_outcome = PQgetvalue(res, i, G_NO_OUTCOME)[0] == '1';
        if (no_rule && no_outcome)
            group_fill(&r->total, res, i, -1);
        else if (no_outcome)
            group_fill(&r->rules[r->nrules++], res, i, G_RULE);
        else if (no_rule)
            group_fill(&r->outcomes[r->noutcomes++], res, i, G_OUTCOME);
        else if (cell_add(r, res, i) == -1) /* rows of (0,0) come after those of (0,1) */
            return -1;
    }
    return 0;
}

/* The alert's strings in FLAGGED_SQL's column order. */
static void alert_fields(sb_report_alert_t *a, char **fields[FLAGGED_COLS]) {
    char **all[FLAGGED_COLS] = {
        &a->id,      &a->received_at,   &a->rule,        &a->severity,
        &a->title,   &a->user,          &a->employee,    &a->outcome,
        &a->comment, &a->second_factor, &a->answered_at, &a->acknowledged_by,
        &a->verdict, &a->resolved_by,   &a->resolved_at, &a->resolution_note};
    memcpy(fields, all, sizeof(all));
}

static int read_flagged(sb_report_t *r, PGresult *res) {
    int n = PQntuples(res);
    if (!(r->flagged = calloc((size_t)n + 1, sizeof(*r->flagged))))
        return -1;
    for (int i = 0; i < n; i++) {
        char **fields[FLAGGED_COLS];
        alert_fields(&r->flagged[r->nflagged++], fields);
        for (int c = 0; c < FLAGGED_COLS; c++)
            *fields[c] = dup_value(res, i, c);
    }
    return 0;
}

static int read_escalations(sb_report_t *r, PGresult *res) {
    int n = PQntuples(res);
    if (!(r->escalations = calloc((size_t)n + 1, sizeof(*r->escalations))))
        return -1;
    for (int i = 0; i < n; i++) {
        sb_report_count_t *c = &r->escalations[r->nescalations++];
        c->alerts = atol(PQgetvalue(res, i, 1));
        if (!(c->outcome = strdup(PQgetvalue(res, i, 0))))
            return -1;
    }
    return 0;
}

static int count_add(sb_report_count_t **arr, size_t *n, const char *name, long alerts) {
    sb_report_count_t *c = &(*arr)[(*n)++];
    c->alerts = alerts;
    return (c->outcome = strdup(name)) ? 0 : -1;
}

static int read_wrong(sb_report_t *r, PGresult *res) {
    int n = PQntuples(res);
    r->wrong_rules = calloc((size_t)n + 1, sizeof(*r->wrong_rules));
    r->wrong_sources = calloc((size_t)n + 1, sizeof(*r->wrong_sources));
    if (!r->wrong_rules || !r->wrong_sources)
        return -1;
    for (int i = 0; i < n; i++) {
        long alerts = atol(PQgetvalue(res, i, 2));
        int by_source = PQgetvalue(res, i, 0)[0] == '1';
        if (!by_source)
            r->wrong_employee += alerts; /* every such alert has one rule */
        if (count_add(by_source ? &r->wrong_sources : &r->wrong_rules,
                      by_source ? &r->nwrong_sources : &r->nwrong_rules, PQgetvalue(res, i, 1),
                      alerts) == -1)
            return -1;
    }
    return 0;
}

int sb_report_fetch(sb_db_t *db, int64_t since_us, int64_t until_us, sb_report_t *r, char *errstr,
                    size_t errstr_size) {
    char since[32], until[32];
    const char *params[] = {since, until};
    PGresult *res = NULL;
    int own = PQtransactionStatus(sb_db_conn(db)) == PQTRANS_IDLE, rc = -1;

    memset(r, 0, sizeof(*r));
    r->since_us = since_us;
    r->until_us = until_us;
    r->total.median_answer_s = -1.0;
    sb_time_format_us(since_us, since, sizeof(since));
    sb_time_format_us(until_us, until, sizeof(until));
    /* every statement sees the same alerts */
    if (own && sb_db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, errstr,
                          errstr_size) == -1)
        return -1;
    if (!(res = sb_db_query(db, GROUPS_SQL, 2, params, errstr, errstr_size)))
        goto out;
    if (read_groups(r, res) == -1)
        goto oom;
    PQclear(res);
    if (!(res = sb_db_query(db, FLAGGED_SQL, 2, params, errstr, errstr_size)))
        goto out;
    if (read_flagged(r, res) == -1)
        goto oom;
    PQclear(res);
    if (!(res = sb_db_query(db, ESCALATIONS_SQL, 2, params, errstr, errstr_size)))
        goto out;
    if (read_escalations(r, res) == -1)
        goto oom;
    PQclear(res);
    if (!(res = sb_db_query(db, WRONG_SQL, 2, params, errstr, errstr_size)))
        goto out;
    if (read_wrong(r, res) == -1)
        goto oom;
    rc = 0;
    goto out;
oom:
    snprintf(errstr, errstr_size, "out of memory");
out:
    PQclear(res);
    if (own)
        sb_db_rollback(db); /* read only: nothing to keep */
    return rc;
}

static void group_free(sb_report_group_t *g) {
    free(g->name);
    for (size_t i = 0; i < g->noutcomes; i++)
        free(g->outcomes[i].outcome);
    free(g->outcomes);
}

void sb_report_clear(sb_report_t *r) {
    if (!r)
        return;
    group_free(&r->total);
    for (size_t i = 0; i < r->nrules; i++)
        group_free(&r->rules[i]);
    for (size_t i = 0; i < r->noutcomes; i++)
        group_free(&r->outcomes[i]);
    for (size_t i = 0; i < r->nflagged; i++) {
        char **fields[FLAGGED_COLS];
        alert_fields(&r->flagged[i], fields);
        for (int c = 0; c < FLAGGED_COLS; c++)
            free(*fields[c]);
    }
    for (size_t i = 0; i < r->nescalations; i++)
        free(r->escalations[i].outcome);
    for (size_t i = 0; i < r->nwrong_rules; i++)
        free(r->wrong_rules[i].outcome);
    for (size_t i = 0; i < r->nwrong_sources; i++)
        free(r->wrong_sources[i].outcome);
    free(r->wrong_rules);
    free(r->wrong_sources);
    free(r->rules);
    free(r->outcomes);
    free(r->flagged);
    free(r->escalations);
    memset(r, 0, sizeof(*r));
}

char *sb_report_build(sb_db_t *db, int64_t since_us, int64_t until_us, sb_report_format_t fmt,
                      const char *console_url, char *errstr, size_t errstr_size) {
    sb_report_t r;
    char *out = NULL;
    if (sb_report_fetch(db, since_us, until_us, &r, errstr, errstr_size) == 0) {
        r.console_url = console_url;
        if (!(out = sb_report_render(&r, fmt)))
            snprintf(errstr, errstr_size, "out of memory");
    }
    sb_report_clear(&r);
    return out;
}

int sb_report_console_link(const char *base, const char *alert_id, char *buf, size_t size) {
    size_t n = base ? strlen(base) : 0;
    int w;
    if (!base || (strncmp(base, "http://", 7) && strncmp(base, "https://", 8)))
        return -1;
    for (const char *p = base; *p; p++) /* nothing that ends or breaks a chat link */
        if ((unsigned char)*p <= ' ' || *p == 0x7f || strchr("<>|\"`", *p))
            return -1;
    if (n && base[n - 1] == '/')
        n--;
    w = snprintf(buf, size, "%.*s/#/alert/%s", (int)n, base, alert_id);
    return w < 0 || (size_t)w >= size ? -1 : 0;
}

int sb_report_format_parse(const char *s, sb_report_format_t *fmt) {
    static const char *const names[] = {"text", "json", "csv"};
    for (int i = 0; i < 3; i++) {
        if (s && !strcmp(s, names[i])) {
            *fmt = (sb_report_format_t)i;
            return 0;
        }
    }
    return -1;
}

int sb_report_parse_time(const char *s, int64_t now_us, int64_t *us) {
    int64_t ms;
    if (!s)
        return -1;
    if (!strcmp(s, "now")) {
        *us = now_us;
        return 0;
    }
    if (sb_time_parse_duration_ms(s, &ms) == 0) {
        if (ms > MAX_BACK_MS)
            return -1;
        *us = now_us - ms * 1000;
        return 0;
    }
    /* PostgreSQL has no year 0 */
    if (sb_time_parse_rfc3339(s, us) == -1 || *us < YEAR_1_US)
        return -1;
    return 0;
}
