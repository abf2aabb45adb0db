/* api_rules: GET /api/v1/rules: per rule over a period, and the "not me" answers per source. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "sb_log.h"
#include "sb_time.h"

#define DEFAULT_DAYS 30
#define MAX_DAYS     366

/* Per rule over [$1, $2): volume, response, time to answer, outcome
 * shares, the verdicts of its escalations, and a series per day. */
static const char rules_sql[] =
    "WITH a AS (SELECT * FROM alerts WHERE received_at >= $1::timestamptz "
    "  AND received_at < $2::timestamptz), "
    "r AS (SELECT rule, count(*) AS alerts, "
    "  count(*) FILTER (WHERE prompted_at IS NOT NULL) AS prompted, "
    "  count(*) FILTER (WHERE answered_at IS NOT NULL) AS answered, "
    "  percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM answered_at - prompted_at)) "
    "    FILTER (WHERE answered_at IS NOT NULL AND prompted_at IS NOT NULL) AS median_answer_s, "
    "  count(*) FILTER (WHERE outcome IN ('confirmed', 'confirmed_unverified')) AS confirmed, "
    "  count(*) FILTER (WHERE outcome = 'denied') AS denied, "
    "  count(*) FILTER (WHERE outcome = 'no_response') AS no_response, "
    "  count(*) FILTER (WHERE outcome = 'wrong_employee') AS wrong_employee, "
    "  count(*) FILTER (WHERE status IN ('escalation_requested', 'escalated')) AS escalated "
    "  FROM a GROUP BY rule) "
    "SELECT coalesce(json_agg(x ORDER BY x.alerts DESC, x.rule), '[]') FROM (SELECT r.*, "
    " round(r.answered::numeric / greatest(r.prompted, 1), 4) AS response_rate, "
    " (SELECT coalesce(json_object_agg(v.verdict, v.n), '{}') FROM (SELECT s.verdict, count(*) AS "
    "n "
    "   FROM escalations s JOIN a b ON b.id = s.alert_id WHERE b.rule = r.rule "
    "   AND s.verdict IS NOT NULL GROUP BY s.verdict) v) AS verdicts, "
    " (SELECT json_agg(d ORDER BY d.day) FROM (SELECT to_char(date_trunc('day', received_at "
    "   AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, count(*) AS alerts, "
    "   count(*) FILTER (WHERE outcome IN ('confirmed', 'confirmed_unverified')) AS confirmed, "
    "   count(*) FILTER (WHERE outcome = 'denied') AS denied, "
    "   count(*) FILTER (WHERE outcome = 'no_response') AS no_response, "
    "   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM answered_at - "
    "   prompted_at)) FILTER (WHERE answered_at IS NOT NULL AND prompted_at IS NOT NULL) "
    "   AS median_answer_s FROM a c WHERE c.rule = r.rule GROUP BY 1) d) AS days "
    " FROM r) x";

/* Over [$1, $2): the "not me, wrong person" answers per source (the
 * detector), for the directory or the detector's identity mapping to be
 * fixed; per rule they are each rule's wrong_employee. */
static const char wrong_sql[] =
    "SELECT coalesce(json_agg(json_build_object('source', source, 'wrong_employee', n)"
    "  ORDER BY n DESC, source), '[]') FROM (SELECT source, count(*) AS n FROM alerts"
    "  WHERE received_at >= $1::timestamptz AND received_at < $2::timestamptz"
    "  AND outcome = 'wrong_employee' GROUP BY source) s";

/* since/until (RFC 3339), by default the last 30 days; 0 or -1. */
static int period(const sb_http_request_t *req, char since[32], char until[32]) {
    const char *s = sb_http_query(req, "since"), *u = sb_http_query(req, "until");
    int64_t su, uu = sb_time_now_us();
    size_t known = (s != NULL) + (u != NULL);
    if (sb_http_query_count(req) != known || sb_http_query_arg_count(req, "since") > 1 ||
        sb_http_query_arg_count(req, "until") > 1 || (u && sb_time_parse_rfc3339(u, &uu) != 0))
        return -1;
    su = uu - (int64_t)DEFAULT_DAYS * 86400 * 1000000;
    if ((s && sb_time_parse_rfc3339(s, &su) != 0) || su >= uu ||
        uu - su > (int64_t)MAX_DAYS * 86400 * 1000000)
        return -1;
    sb_time_format_us(su, since, 32);
    sb_time_format_us(uu, until, 32);
    return 0;
}

int api_rules(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    char since[32], until[32], errstr[512];
    const char *p[] = {since, until};
    cJSON *doc;
    PGresult *r;
    (void)c;
    if (period(call->req, since, until) != 0)
        return console_error(resp, 400, "bad_request",
                             "since and until: RFC 3339, since before until, at most 366 days");
    if (!(r = sb_db_query(call->db, rules_sql, 2, p, errstr, sizeof(errstr)))) {
        sb_log_error("rules: %s", errstr);
        return -1;
    }
    doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "since", since);
    cJSON_AddStringToObject(doc, "until", until);
    cJSON_AddItemToObject(doc, "rules", cJSON_Parse(PQgetvalue(r, 0, 0)));
    PQclear(r);
    if (!(r = sb_db_query(call->db, wrong_sql, 2, p, errstr, sizeof(errstr)))) {
        sb_log_error("rules: %s", errstr);
        cJSON_Delete(doc);
        return -1;
    }
    cJSON_AddItemToObject(doc, "wrong_employee_by_source", cJSON_Parse(PQgetvalue(r, 0, 0)));
    PQclear(r);
    return console_json(resp, 200, doc);
}
