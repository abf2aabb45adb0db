/* api_employees: the directory (never a second-factor secret), and what admins may change in it. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "sb_log.h"

int api_employees_list(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    (void)c;
    if (sb_http_query_count(call->req) != 0)
        return console_error(resp, 400, "bad_request", "no query parameters here");
    /* enrolled: whether a secret exists, never the secret */
    return api_list(call, resp, "employees",
                    "SELECT coalesce(json_agg(x ORDER BY lower(x.username)), '[]') FROM (SELECT "
                    "e.username, e.email, e.chat_platform, e.chat_user_id, e.opted_out, "
                    "e.totp_secret_enc IS NOT NULL AS second_factor_enrolled, "
                    "(SELECT count(*) FROM alerts a WHERE a.employee_id = e.id AND a.status IN "
                    "('prompted', 'awaiting_code')) AS open_conversations, "
                    "(SELECT count(*) FROM alerts a WHERE a.employee_id = e.id AND a.received_at > "
                    "now() - interval '30 days') AS alerts_30d FROM employees e LIMIT 10000) x",
                    0, NULL);
}

/* $1 name, $2 opted out, $3 action, $4 actor. The row is locked, so of two
 * concurrent calls only one changes and audits. */
static const char opt_sql[] =
    "WITH e AS (SELECT e.id, e.username, e.opted_out FROM employee_identities ei "
    "  JOIN employees e ON e.id = ei.employee_id WHERE ei.identity = lower($1) FOR UPDATE OF e), "
    "upd AS (UPDATE employees SET opted_out = $2::boolean, updated_at = now() FROM e "
    "  WHERE employees.id = e.id AND e.opted_out <> $2::boolean RETURNING employees.id), "
    "audit AS (INSERT INTO audit_log (actor, action, employee_id) SELECT $4, $3, id FROM upd) "
    "SELECT e.username, (SELECT count(*) FROM upd) FROM e";

/* $1 name, $2 actor: the secret and its last step forgotten; they enrol again. */
static const char reset_sql[] =
    "WITH e AS (SELECT e.id, e.username FROM employee_identities ei "
    "  JOIN employees e ON e.id = ei.employee_id WHERE ei.identity = lower($1) FOR UPDATE OF e), "
    "upd AS (UPDATE employees SET totp_secret_enc = NULL, totp_last_step = NULL, "
    "  updated_at = now() FROM e WHERE employees.id = e.id RETURNING employees.id), "
    "audit AS (INSERT INTO audit_log (actor, action, employee_id) "
    "  SELECT $2, 'second_factor_reset', id FROM upd) "
    "SELECT e.username, (SELECT count(*) FROM upd) FROM e";

/* Runs one of the statements above for the path's employee. */
static int change(api_call_t *call, const char *sql, int n, const char *const *p,
                  sb_http_response_t *resp) {
    char errstr[512];
    cJSON *doc;
    PGresult *r = sb_db_query(call->db, sql, n, p, errstr, sizeof(errstr));
    if (!r) {
        sb_log_error("employee change: %s", errstr);
        return -1;
    }
    if (PQntuples(r) == 0) {
        PQclear(r);
        return console_error(resp, 404, "not_found", "no such employee");
    }
    doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "employee", PQgetvalue(r, 0, 0));
    cJSON_AddBoolToObject(doc, "changed", strcmp(PQgetvalue(r, 0, 1), "0") != 0);
    PQclear(r);
    return console_json(resp, 200, doc);
}

int api_employee_optout(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    const char *p[] = {call->params[0], "true", "employee_opted_out", call->auth->who.actor};
    (void)c;
    return change(call, opt_sql, 4, p, resp);
}

int api_employee_optin(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    const char *p[] = {call->params[0], "false", "employee_opted_in", call->auth->who.actor};
    (void)c;
    return change(call, opt_sql, 4, p, resp);
}

int api_employee_reset_2fa(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    const char *p[] = {call->params[0], call->auth->who.actor};
    (void)c;
    return change(call, reset_sql, 2, p, resp);
}
