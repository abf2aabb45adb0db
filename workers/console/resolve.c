/* resolve: an escalation's verdict, recorded once and published on the resolutions topic. */

/* The row changes only while unresolved (a second resolve is 409 and
 * publishes nothing); the message goes to Kafka and is acknowledged
 * before COMMIT (sb_publish), so a failure in between repeats it with the
 * same message_id instead of losing it. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "sb_id.h"
#include "sb_log.h"
#include "sb_publish.h"
#include "sb_schema.h"

#define NOTE_MAX 4000

/* $1 alert, $2 actor, $3 verdict, $4 note. */
static const char resolve_sql[] =
    "UPDATE escalations s SET resolved_by = $2, resolved_at = now(), verdict = $3, "
    "resolution_note = $4 FROM alerts a WHERE s.alert_id = $1 AND a.id = s.alert_id "
    "AND s.resolved_at IS NULL RETURNING to_char(s.resolved_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), s.acknowledged_by, a.rule, a.severity";

/* The body {"verdict": ..., "note": ...}: 0 with verdict and note (NULL:
 * none) pointing into *root; -1 malformed (400), -2 a bad value (422). */
static int read_body(const sb_http_request_t *req, cJSON **root, const char **verdict,
                     const char **note) {
    static const char *const verdicts[] = {"benign", "true_positive", "false_positive",
                                           "duplicate"};
    const cJSON *v, *n;
    *root = cJSON_ParseWithLength(req->body, req->body_len);
    if (!cJSON_IsObject(*root))
        return -1;
    v = cJSON_GetObjectItemCaseSensitive(*root, "verdict");
    n = cJSON_GetObjectItemCaseSensitive(*root, "note");
    if (!cJSON_IsString(v) || (n && !cJSON_IsString(n) && !cJSON_IsNull(n)))
        return -1;
    *note = cJSON_IsString(n) ? n->valuestring : NULL;
    if (*note && strlen(*note) > NOTE_MAX)
        return -2;
    for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
        if (strcmp(v->valuestring, verdicts[i]) == 0) {
            *verdict = verdicts[i];
            return 0;
        }
    return -2;
}

/* The resolution.v1 message for the updated row r. */
static cJSON *message(const char *id, const char *actor, const char *verdict, const char *note,
                      const PGresult *r) {
    char mid[SB_SHA256_HEX_LEN + 1];
    cJSON *m = cJSON_CreateObject();
    if (!m || sb_id_message("resolution", id, NULL, mid) != 0) {
        cJSON_Delete(m);
        return NULL;
    }
    cJSON_AddStringToObject(m, "schema", "resolution.v1");
    cJSON_AddStringToObject(m, "message_id", mid);
    cJSON_AddStringToObject(m, "alert_id", id);
    cJSON_AddStringToObject(m, "verdict", verdict);
    note ? cJSON_AddStringToObject(m, "note", note) : cJSON_AddNullToObject(m, "note");
    cJSON_AddStringToObject(m, "resolved_by", actor);
    cJSON_AddStringToObject(m, "resolved_at", PQgetvalue(r, 0, 0));
    if (PQgetisnull(r, 0, 1))
        cJSON_AddNullToObject(m, "acknowledged_by");
    else
        cJSON_AddStringToObject(m, "acknowledged_by", PQgetvalue(r, 0, 1));
    cJSON_AddStringToObject(m, "rule", PQgetvalue(r, 0, 2));
    cJSON_AddStringToObject(m, "severity", PQgetvalue(r, 0, 3));
    return m;
}

/* Queues msg keyed by the alert id; 0 or -1 with errstr. */
static int produce(console_t *c, const char *id, const cJSON *msg, char *errstr,
                   size_t errstr_size) {
    char *json = cJSON_PrintUnformatted(msg);
    int rc = -1;
    if (!json)
        snprintf(errstr, errstr_size, "out of memory");
    else if (sb_schema_validate("resolution", msg, errstr, errstr_size) != 0)
        sb_log_error("bug: the resolution fails resolution.v1: %s", errstr);
    else
        rc = sb_producer_send(c->producer, c->topic_resolutions, id, strlen(id), json, strlen(json),
                              errstr, errstr_size);
    cJSON_free(json);
    return rc;
}

/* 404 without an escalation, else 409 (resolved already). */
static int refuse(sb_db_t *db, const char *id, sb_http_response_t *resp) {
    char errstr[512];
    const char *p[] = {id};
    PGresult *r = sb_db_query(db, "SELECT 1 FROM escalations WHERE alert_id = $1", 1, p, errstr,
                              sizeof(errstr));
    int exists;
    if (!r)
        return -1;
    exists = PQntuples(r) == 1;
    PQclear(r);
    return exists ? console_error(resp, 409, "conflict", "resolved already")
                  : console_error(resp, 404, "not_found", "no such escalation");
}

int api_escalation_resolve(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    const char *id = call->params[0], *actor = call->auth->who.actor, *verdict = NULL, *note;
    char errstr[512];
    cJSON *root = NULL, *msg = NULL, *d;
    PGresult *r = NULL;
    int rc = -1, bad = read_body(call->req, &root, &verdict, &note);

    if (bad) {
        rc = bad == -1 ? console_error(resp, 400, "bad_request",
                                       "expected {\"verdict\": ..., \"note\": ...}")
                       : console_error(resp, 422, "invalid_value",
                                       "verdict: benign, true_positive, false_positive or "
                                       "duplicate; note: at most 4000 bytes");
        goto out;
    }
    const char *p[] = {id, actor, verdict, note};
    if (sb_db_begin(call->db, errstr, sizeof(errstr)) != 0 ||
        !(r = sb_db_query(call->db, resolve_sql, 4, p, errstr, sizeof(errstr))))
        goto fail;
    if (PQntuples(r) == 0) {
        rc = refuse(call->db, id, resp);
        goto out;
    }
    d = cJSON_CreateObject();
    cJSON_AddStringToObject(d, "verdict", verdict);
    note ? cJSON_AddStringToObject(d, "note", note) : cJSON_AddNullToObject(d, "note");
    char *dj = cJSON_PrintUnformatted(d);
    cJSON_Delete(d);
    int audited = dj && console_audit(call->db, actor, "escalation_resolved", id, dj, errstr,
                                      sizeof(errstr)) == 0;
    cJSON_free(dj);
    if (!audited || !(msg = message(id, actor, verdict, note, r)))
        goto fail;
    pthread_mutex_lock(&c->produce_mu);
    bad = produce(c, id, msg, errstr, sizeof(errstr)) != 0 ||
          sb_publish_commit(c->producer, 1, call->db, errstr, sizeof(errstr)) != 0;
    pthread_mutex_unlock(&c->produce_mu);
    if (bad) {
        sb_log_kv_t kv[] = {{"alert_id", id}};
        sb_log_kv(SB_LOG_WARN, kv, 1, "resolution not published, nothing recorded: %s", errstr);
        rc = console_error(resp, 503, "unavailable", "not published: try again");
        goto out;
    }
    sb_metrics_count(c->metrics, SB_M_PRODUCED, "resolutions", 1);
    rc = console_json(resp, 200, msg);
    msg = NULL;
    goto out;
fail:
    sb_log_error("resolve: %s", errstr);
out:
    sb_db_rollback(call->db);
    PQclear(r);
    cJSON_Delete(msg);
    cJSON_Delete(root);
    return rc;
}
