/* api_ignore: GET|POST|DELETE /api/v1/ignore-rules, the ignore rules sb-ingest applies. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "sb_log.h"
#include "sb_time.h"

#define MIN_FOR_MS (60 * 1000LL)
#define MAX_FOR_MS (30 * 86400 * 1000LL) /* as sbctl ignore add */

int api_ignore_list(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    (void)c;
    if (sb_http_query_count(call->req) != 0)
        return console_error(resp, 400, "bad_request", "no query parameters here");
    return api_list(call, resp, "ignore_rules",
                    "SELECT coalesce(json_agg(x ORDER BY x.id), '[]') FROM (SELECT r.id, "
                    "e.username AS employee, r.rule, r.until, r.reason, r.created_by, "
                    "r.created_at FROM ignore_rules r JOIN employees e ON e.id = "
                    "r.employee_id WHERE r.until > now()) x",
                    0, NULL);
}

/* $1 employee name, $2 rule, $3 ms, $4 reason, $5 actor. */
static const char add_sql[] =
    "WITH e AS (SELECT employee_id AS id FROM employee_identities WHERE identity = lower($1)), "
    "ins AS (INSERT INTO ignore_rules (employee_id, rule, until, reason, created_by) "
    "  SELECT id, $2, now() + $3::bigint * interval '1 millisecond', $4, $5 FROM e "
    "  RETURNING id, employee_id, rule, until, reason), "
    "audit AS (INSERT INTO audit_log (actor, action, employee_id, detail) SELECT $5, "
    "  'ignore_rule_added', employee_id, jsonb_build_object('id', id, 'rule', rule, "
    "  'until', until, 'reason', reason) FROM ins) "
    "SELECT row_to_json(ins) FROM ins";

int api_ignore_add(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    cJSON *in = cJSON_ParseWithLength(call->req->body, call->req->body_len), *doc;
    const cJSON *emp = cJSON_GetObjectItemCaseSensitive(in, "employee"),
                *rule = cJSON_GetObjectItemCaseSensitive(in, "rule"),
                *dur = cJSON_GetObjectItemCaseSensitive(in, "for"),
                *reason = cJSON_GetObjectItemCaseSensitive(in, "reason");
    int64_t ms = 0;
    char msbuf[24], errstr[512];
    PGresult *r;
    int rc;
    (void)c;
    if (!cJSON_IsObject(in) || !cJSON_IsString(emp) || !cJSON_IsString(rule) ||
        !cJSON_IsString(dur) || (reason && !cJSON_IsString(reason))) {
        cJSON_Delete(in);
        return console_error(resp, 400, "bad_request",
                             "expected {\"employee\", \"rule\", \"for\", \"reason\"}");
    }
    if (sb_time_parse_duration_ms(dur->valuestring, &ms) != 0 || ms < MIN_FOR_MS ||
        ms > MAX_FOR_MS || !*rule->valuestring || strlen(rule->valuestring) > 256 ||
        (reason && strlen(reason->valuestring) > 500)) {
        cJSON_Delete(in);
        return console_error(resp, 422, "invalid_value",
                             "for: 1m to 30d; rule: 1-256 bytes; reason: at most 500 bytes");
    }
    snprintf(msbuf, sizeof(msbuf), "%lld", (long long)ms);
    const char *p[] = {emp->valuestring, rule->valuestring, msbuf,
                       reason ? reason->valuestring : NULL, call->auth->who.actor};
    r = sb_db_query(call->db, add_sql, 5, p, errstr, sizeof(errstr));
    cJSON_Delete(in);
    if (!r) {
        sb_log_error("ignore add: %s", errstr);
        return -1;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        return console_error(resp, 422, "unknown_employee", "no such employee");
    }
    doc = cJSON_Parse(PQgetvalue(r, 0, 0));
    PQclear(r);
    rc = console_json(resp, 201, doc);
    return rc;
}

int api_ignore_remove(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    const char *id = sb_http_query(call->req, "id");
    char errstr[512];
    PGresult *r;
    int n;
    (void)c;
    if (!id || sb_http_query_count(call->req) != 1 || strlen(id) > 18 || !*id ||
        strspn(id, "0123456789") != strlen(id))
        return console_error(resp, 400, "bad_request", "DELETE /api/v1/ignore-rules?id=N");
    const char *p[] = {id, call->auth->who.actor};
    if (!(r = sb_db_query(call->db,
                          "WITH del AS (DELETE FROM ignore_rules WHERE id = $1::bigint RETURNING "
                          "id, employee_id, rule, until, reason, created_by), audit AS (INSERT "
                          "INTO audit_log (actor, action, employee_id, detail) SELECT $2, "
                          "'ignore_rule_removed', employee_id, jsonb_build_object('id', id, "
                          "'rule', rule, 'until', until, 'reason', reason, 'created_by', "
                          "created_by) FROM del) SELECT id FROM del",
                          2, p, errstr, sizeof(errstr)))) {
        sb_log_error("ignore remove: %s", errstr);
        return -1;
    }
    n = PQntuples(r);
    PQclear(r);
    if (n == 0)
        return console_error(resp, 404, "not_found", "no such ignore rule");
    return console_json(resp, 200, cJSON_CreateObject());
}
