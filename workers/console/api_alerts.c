/* api_alerts: GET /api/v1/alerts (filters, newest first, cursor paging) and GET
 * /api/v1/alerts/{id}. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "sb_log.h"
#include "sb_time.h"

#define LIMIT_DEFAULT 50
#define LIMIT_MAX     500
#define FILTER_MAX    200
#define TS(col)       "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* The query parameters, in the statement's parameter order. */
static const char *const filters[] = {"employee", "rule",  "source", "severity", "status",
                                      "outcome",  "since", "until",  "q"};
#define NFILTERS 9

/* The statement is built from the filters present, so that each set of
 * filters gets a plan with its index (migration 0010): one fixed statement
 * of `($n IS NULL OR ...)` terms cannot use an index per filter. Only these
 * fixed texts become SQL; every value is a parameter. */
static const char list_head[] =
    "SELECT a.id, a.detector_id, a.title, coalesce(e.username, a.username), a.source, a.rule, "
    "a.severity, a.status, a.outcome, " TS("a.received_at") ", " TS(
        "a.occurred_at") ", "
                         "(extract(epoch FROM a.received_at) * 1000000)::bigint AS us "
                         "FROM alerts a LEFT JOIN employees e ON e.id = a.employee_id WHERE true";

/* The term's own LIKE wildcards (and the escape character) are escaped, so
 * it matches as plain text, as strpos would: a LIKE '%...%' pattern, folded
 * to a constant when the statement is planned for its values. */
#define Q_PATTERN                                                                                  \
    "('%%' || replace(replace(replace(lower($%1$d::text), '\\', '\\\\'), '%%', '\\%%'), "          \
    "'_', '\\_') || '%%')"

/* Per filter, in filters[] order; %1$d is its parameter. The employee is
 * the directory's username when the alert was matched to one, else the
 * user as the detector wrote it: the OR finds both through their indexes,
 * the last term keeps exactly that meaning. */
static const char *const list_terms[] = {
    " AND (a.employee_id = (SELECT id FROM employees WHERE lower(username) = lower($%1$d::text))"
    " OR (a.employee_id IS NULL AND lower(a.username) = lower($%1$d::text)))"
    " AND lower(coalesce(e.username, a.username)) = lower($%1$d::text)",
    " AND a.rule = $%1$d::text",
    " AND a.source = $%1$d::text",
    " AND a.severity = $%1$d::text",
    " AND a.status = $%1$d::text",
    " AND a.outcome = $%1$d::text",
    " AND a.received_at >= $%1$d::timestamptz",
    " AND a.received_at < $%1$d::timestamptz",
    /* A term without three letters or digits in a row: no trigram index
     * can answer it, so the newest alerts are scanned until enough match
     * (migration 0010). Otherwise q_indexed below. */
    " AND lower(a.title) LIKE " Q_PATTERN,
};

/* A term the trigram index answers: the titles are searched in the indexed
 * search table and in the queue of those not indexed yet (migration 0018:
 * each title is in exactly one of the two in any snapshot), and the alert's
 * own title decides. */
static const char q_indexed[] =
    " AND lower(a.title) LIKE " Q_PATTERN
    " AND a.id IN (SELECT alert_id FROM alert_titles WHERE lower(title) LIKE " Q_PATTERN
    " UNION ALL SELECT alert_id FROM alert_title_queue WHERE lower(title) LIKE " Q_PATTERN ")";

/* The probe: the newest API_Q_PROBE_ROWS alerts of the other filters (and
 * the cursor), then the term among them. The index answers a rare term
 * fast and a common one slowly (every match is joined and sorted: 1.4 s
 * for a term in one title of nine at 1,000,000 alerts), the scan the
 * other way round; a term common enough fills the page from the probe.
 * A full page from it is the true page: every alert it did not look at is
 * older than all it did. Otherwise the indexed statement runs. */
#define STR_(x) #x
#define STR(x)  STR_(x)
static const char probe_head[] = "SELECT * FROM (";
static const char probe_tail[] = " ORDER BY a.received_at DESC, a.id DESC LIMIT " STR(
    API_Q_PROBE_ROWS) ") s"
                      " WHERE lower(s.title) LIKE " Q_PATTERN
                      " ORDER BY s.us DESC, s.id DESC LIMIT $%2$d::int";

/* Whether pg_trgm can take a trigram from the term: three word characters
 * in a row (letters and digits; any character beyond ASCII counts, as a
 * letter in most titles would). */
api_q_mode_t api_alerts_q_mode(const char *q) {
    int run = 0;
    for (const unsigned char *p = (const unsigned char *)q; *p && run < 3; p++) {
        if ((*p < 0x80 && isalnum(*p)) || *p >= 0xc0)
            run++;
        else if (*p < 0x80)
            run = 0;
    }
    return run >= 3 ? API_Q_PROBE : API_Q_SCAN;
}

/* After the filters: the cursor ($n microseconds, $n+1 alert id). */
static const char list_cursor[] =
    " AND a.received_at <= timestamptz 'epoch' + $%1$d::bigint * interval '1 microsecond'"
    " AND (a.received_at < timestamptz 'epoch' + $%1$d::bigint * interval '1 microsecond'"
    " OR a.id < $%2$d::text)";
static const char list_tail[] = " ORDER BY a.received_at DESC, a.id DESC LIMIT $%d::int";

typedef struct {
    const char *v[12]; /* the filters, the cursor's two halves, the limit; NULL: absent */
    char since[32], until[32], cur_us[24], cur_id[65], limit[8];
} list_args_t;

int api_alerts_statement(const char *const values[12], api_q_mode_t mode, char *sql, size_t size,
                         const char *params[12]) {
    size_t len = 0;
    int probe = mode == API_Q_PROBE && values[8], n = 0, qn = 0;
    int w = snprintf(sql, size, "%s%s", probe ? probe_head : "", list_head);
    for (int i = 0; i < NFILTERS + 2 && w >= 0 && (size_t)w < size - len; i++) {
        len += (size_t)w;
        w = 0;
        if (i < NFILTERS && values[i]) {
            params[n++] = values[i];
            if (i == 8 && probe)
                qn = n; /* its term goes after the probe's subquery */
            else
                w = snprintf(sql + len, size - len,
                             i == 8 && mode == API_Q_INDEXED ? q_indexed : list_terms[i], n);
        } else if (i == NFILTERS && values[9] && values[10]) {
            params[n++] = values[9];
            params[n++] = values[10];
            w = snprintf(sql + len, size - len, list_cursor, n - 1, n);
        } else if (i == NFILTERS + 1) {
            params[n++] = values[11];
            w = probe ? snprintf(sql + len, size - len, probe_tail, qn, n)
                      : snprintf(sql + len, size - len, list_tail, n);
        }
    }
    return w >= 0 && (size_t)w < size - len ? n : -1;
}

/* A time filter as RFC 3339, normalised for SQL; 0 or -1. */
static int time_arg(const char *s, char out[32]) {
    int64_t us;
    if (sb_time_parse_rfc3339(s, &us) != 0)
        return -1;
    sb_time_format_us(us, out, 32);
    return 0;
}

/* "<microseconds>.<alert id>", as the last page's next_cursor gave it. */
static int cursor_arg(const char *s, list_args_t *a) {
    const char *dot = strchr(s, '.');
    size_t n = dot ? (size_t)(dot - s) : 0;
    if (!dot || n == 0 || n > 19 || strlen(dot + 1) != 64 || strspn(s, "0123456789") != n ||
        strspn(dot + 1, "0123456789abcdef") != 64)
        return -1;
    memcpy(a->cur_us, s, n);
    a->cur_us[n] = '\0';
    memcpy(a->cur_id, dot + 1, 65);
    return 0;
}

/* Reads and checks the query; NULL, or the name of the offending parameter. */
static const char *read_args(const sb_http_request_t *req, list_args_t *a) {
    static const char *const severities[] = {"low", "medium", "high", "critical"};
    const char *limit = sb_http_query(req, "limit"), *cursor = sb_http_query(req, "cursor");
    size_t known = 0;
    long n = LIMIT_DEFAULT;
    char *end;
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < NFILTERS; i++) {
        a->v[i] = sb_http_query(req, filters[i]);
        if (sb_http_query_arg_count(req, filters[i]) > 1 ||
            (a->v[i] && (!*a->v[i] || strlen(a->v[i]) > FILTER_MAX)))
            return filters[i];
        known += a->v[i] != NULL;
    }
    if (a->v[3]) {
        int ok = 0;
        for (size_t i = 0; i < 4; i++)
            ok |= strcmp(a->v[3], severities[i]) == 0;
        if (!ok)
            return "severity";
    }
    if (a->v[6] && time_arg(a->v[6], a->since) != 0)
        return "since";
    if (a->v[7] && time_arg(a->v[7], a->until) != 0)
        return "until";
    a->v[6] = a->v[6] ? a->since : NULL;
    a->v[7] = a->v[7] ? a->until : NULL;
    if (limit && (sb_http_query_arg_count(req, "limit") > 1 ||
                  (n = strtol(limit, &end, 10), *end || end == limit || n < 1 || n > LIMIT_MAX)))
        return "limit";
    if (cursor && (sb_http_query_arg_count(req, "cursor") > 1 || cursor_arg(cursor, a) != 0))
        return "cursor";
    known += (limit != NULL) + (cursor != NULL);
    if (sb_http_query_count(req) != known)
        return "(unknown parameter)";
    a->v[9] = cursor ? a->cur_us : NULL;
    a->v[10] = cursor ? a->cur_id : NULL;
    snprintf(a->limit, sizeof(a->limit), "%ld", n);
    a->v[11] = a->limit;
    return NULL;
}

static void add_str(cJSON *o, const char *key, const PGresult *r, int row, int col) {
    if (PQgetisnull(r, row, col))
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddStringToObject(o, key, PQgetvalue(r, row, col));
}

/* One row of the list as JSON. */
static cJSON *row_json(const PGresult *r, int i) {
    static const char *const keys[] = {"id",      "detector_id", "title",      "employee",
                                       "source",  "rule",        "severity",   "status",
                                       "outcome", "received_at", "occurred_at"};
    cJSON *o = cJSON_CreateObject();
    for (int k = 0; o && k < 11; k++)
        add_str(o, keys[k], r, i, k);
    return o;
}

/* The page's rows; NULL after logging why. A probe that does not fill the
 * page is followed by the indexed statement. */
static PGresult *list_query(sb_db_t *db, const list_args_t *a, api_q_mode_t mode) {
    char errstr[512], sql[4096];
    const char *params[12];
    PGresult *r;
    int nparams = api_alerts_statement(a->v, mode, sql, sizeof(sql), params);
    if (nparams < 0) {
        sb_log_error("alerts list: the statement does not fit");
        return NULL;
    }
    if (!(r = sb_db_query(db, sql, nparams, params, errstr, sizeof(errstr)))) {
        sb_log_error("alerts list: %s", errstr);
        return NULL;
    }
    if (mode == API_Q_PROBE && PQntuples(r) < atoi(a->limit)) {
        PQclear(r);
        return list_query(db, a, API_Q_INDEXED);
    }
    return r;
}

int api_alerts_list(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    list_args_t a;
    char detail[96], cursor[96];
    const char *bad = read_args(call->req, &a);
    cJSON *doc, *rows;
    PGresult *r;
    int n;
    (void)c;
    if (bad) {
        snprintf(detail, sizeof(detail), "bad query parameter: %s", bad);
        return console_error(resp, 400, "bad_request", detail);
    }
    if (!(r = list_query(call->db, &a, a.v[8] ? api_alerts_q_mode(a.v[8]) : API_Q_SCAN)))
        return -1;
    doc = cJSON_CreateObject();
    rows = cJSON_AddArrayToObject(doc, "alerts");
    n = PQntuples(r);
    for (int i = 0; rows && i < n; i++)
        cJSON_AddItemToArray(rows, row_json(r, i));
    if (n > 0 && n == atoi(a.limit)) {
        snprintf(cursor, sizeof(cursor), "%s.%s", PQgetvalue(r, n - 1, 11),
                 PQgetvalue(r, n - 1, 0));
        cJSON_AddStringToObject(doc, "next_cursor", cursor);
    } else {
        cJSON_AddNullToObject(doc, "next_cursor");
    }
    PQclear(r);
    return console_json(resp, 200, doc);
}

/* o's own times ("at" and every "*_at" key) in the form of the list and of
 * `sbctl alerts show` ("...Z", microseconds, UTC) instead of PostgreSQL's
 * JSON form (its session's offset); nested documents (raw, details, an
 * audit row's detail) stay as they are. */
static void times_normalize(cJSON *o) {
    cJSON *item;
    char utc[40];
    cJSON_ArrayForEach(item, o) {
        size_t n = item->string ? strlen(item->string) : 0;
        if (cJSON_IsString(item) &&
            (!strcmp(item->string, "at") || (n > 3 && !strcmp(item->string + n - 3, "_at"))) &&
            sb_time_normalize(item->valuestring, utc, sizeof(utc)) == 0)
            cJSON_SetValuestring(item, utc);
    }
}

int api_alert_show(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    const char *id = call->params[0], *p[] = {id};
    char errstr[512];
    cJSON *doc;
    PGresult *r;
    (void)c;
    if (strlen(id) != 64 || strspn(id, "0123456789abcdef") != 64)
        return console_error(resp, 404, "not_found", "no such alert");
    r = sb_db_query(call->db,
                    "SELECT json_build_object('alert', (SELECT row_to_json(x) FROM "
                    "(SELECT a.id, a.detector_id, a.source, a.rule, a.title, a.description, "
                    "a.severity, a.url, a.details, a.username AS user, e.username AS employee, "
                    "a.status, a.status_reason, a.group_id, a.outcome, a.answer, a.comment, "
                    "a.second_factor, "
                    "a.occurred_at, a.received_at, a.prompted_at, a.answered_at, a.decided_at, "
                    "a.raw FROM alerts a LEFT JOIN employees e ON e.id = a.employee_id "
                    "WHERE a.id = $1) x), "
                    "'timeline', (SELECT coalesce(json_agg(t ORDER BY t.at, t.id), '[]') FROM "
                    "(SELECT id, at, actor, action, detail FROM audit_log WHERE alert_id = $1) t), "
                    "'escalation', (SELECT row_to_json(s) FROM escalations s WHERE alert_id = $1))",
                    1, p, errstr, sizeof(errstr));
    if (!r) {
        sb_log_error("alert show: %s", errstr);
        return -1;
    }
    doc = cJSON_Parse(PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!doc)
        return -1;
    if (cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(doc, "alert"))) {
        cJSON_Delete(doc);
        return console_error(resp, 404, "not_found", "no such alert");
    }
    cJSON *t;
    times_normalize(cJSON_GetObjectItemCaseSensitive(doc, "alert"));
    times_normalize(cJSON_GetObjectItemCaseSensitive(doc, "escalation"));
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(doc, "timeline")) times_normalize(t);
    return console_json(resp, 200, doc);
}
