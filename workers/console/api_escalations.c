/* api_escalations: the security team's queue: the list, and acknowledge (who took it). */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "sb_log.h"

/* 404 when there is no such escalation, else 409 (already taken or
 * resolved): what a conditional update that changed nothing means. */
static int conflict_or_missing(sb_db_t *db, const char *id, sb_http_response_t *resp) {
    char errstr[512];
    const char *p[] = {id};
    PGresult *r = sb_db_query(db, "SELECT 1 FROM escalations WHERE alert_id = $1", 1, p, errstr,
                              sizeof(errstr));
    int exists;
    if (!r) {
        sb_log_error("escalation: %s", errstr);
        return -1;
    }
    exists = PQntuples(r) == 1;
    PQclear(r);
    return exists ? console_error(resp, 409, "conflict", "already acknowledged or resolved")
                  : console_error(resp, 404, "not_found", "no such escalation");
}

int api_escalation_ack(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    const char *id = call->params[0], *p[] = {id, call->auth->who.actor};
    char errstr[512];
    PGresult *r = NULL;
    cJSON *doc;
    int rc = -1;
    (void)c;
    if (sb_db_begin(call->db, errstr, sizeof(errstr)) != 0 ||
        !(r = sb_db_query(call->db,
                          "UPDATE escalations SET acknowledged_by = $2, acknowledged_at = now() "
                          "WHERE alert_id = $1 AND acknowledged_at IS NULL AND resolved_at IS NULL "
                          "RETURNING alert_id",
                          2, p, errstr, sizeof(errstr))))
        goto fail;
    if (PQntuples(r) == 0) {
        rc = conflict_or_missing(call->db, id, resp);
        goto out;
    }
    if (console_audit(call->db, call->auth->who.actor, "escalation_acknowledged", id, NULL, errstr,
                      sizeof(errstr)) != 0 ||
        sb_db_commit(call->db, errstr, sizeof(errstr)) != 0)
        goto fail;
    doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "alert_id", id);
    cJSON_AddStringToObject(doc, "acknowledged_by", call->auth->who.actor);
    rc = console_json(resp, 200, doc);
    goto out;
fail:
    sb_log_error("acknowledge: %s", errstr);
out:
    PQclear(r);
    sb_db_rollback(call->db);
    return rc;
}

/* $1 state: open, resolved or all. Open first, then most severe, oldest. */
static const char list_sql[] =
    "SELECT coalesce(json_agg(q), '[]') FROM (SELECT s.alert_id, a.title, a.rule, a.source, "
    "a.severity, coalesce(e.username, a.username) AS employee, s.reason, s.comment, s.raised_at, "
    "s.acknowledged_by, s.acknowledged_at, s.resolved_by, s.resolved_at, s.verdict, "
    "s.resolution_note AS note FROM escalations s JOIN alerts a ON a.id = s.alert_id "
    "LEFT JOIN employees e ON e.id = a.employee_id "
    "WHERE $1 = 'all' OR ($1 = 'open') = (s.resolved_at IS NULL) "
    "ORDER BY s.resolved_at IS NOT NULL, array_position(ARRAY['critical', 'high', 'medium', "
    "'low'], a.severity), s.raised_at LIMIT 500) q";

int api_escalations_list(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    const char *state = sb_http_query(call->req, "state");
    (void)c;
    if (!state)
        state = "all";
    if (sb_http_query_count(call->req) != (sb_http_query(call->req, "state") ? 1u : 0u) ||
        (strcmp(state, "open") && strcmp(state, "resolved") && strcmp(state, "all")))
        return console_error(resp, 400, "bad_request", "state: open, resolved or all");
    const char *p[] = {state};
    return api_list(call, resp, "escalations", list_sql, 1, p);
}
