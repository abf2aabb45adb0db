/* api_create: POST /api/v1/alerts, an alert made by hand, published to <prefix>alerts like a
 * detector's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "sb_id.h"
#include "sb_log.h"
#include "sb_schema.h"
#include "sb_time.h"

#define ACK_MS 5000

/* The request's fields (rule, title, user, severity, description, url,
 * occurred_at), with source "console" and the user who made it in
 * details; NULL with detail set when the body is not an object. */
static cJSON *build(const sb_http_request_t *req, const char *actor, char *detail, size_t size) {
    static const char *const keep[] = {"rule",        "title", "user",        "severity",
                                       "description", "url",   "occurred_at", "id"};
    cJSON *in = cJSON_ParseWithLength(req->body, req->body_len), *out = NULL, *details;
    char now[32];
    if (!cJSON_IsObject(in)) {
        snprintf(detail, size, "expected a JSON object");
        goto out;
    }
    out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "source", "console");
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        cJSON *v = cJSON_GetObjectItemCaseSensitive(in, keep[i]);
        if (v)
            cJSON_AddItemToObject(out, keep[i], cJSON_Duplicate(v, 1));
    }
    if (!cJSON_GetObjectItemCaseSensitive(out, "occurred_at")) {
        sb_time_format_us(sb_time_now_us(), now, sizeof(now));
        cJSON_AddStringToObject(out, "occurred_at", now);
    }
    details = cJSON_AddObjectToObject(out, "details");
    cJSON_AddStringToObject(details, "created_by", actor);
out:
    cJSON_Delete(in);
    return out;
}

int api_alert_create(console_t *c, api_call_t *call, sb_http_response_t *resp) {
    char detail[256] = "", errstr[512], id[SB_SHA256_HEX_LEN + 1];
    cJSON *alert = build(call->req, call->auth->who.actor, detail, sizeof(detail)), *doc;
    char *json = alert ? cJSON_PrintUnformatted(alert) : NULL;
    sb_alert_t a;
    sb_reject_t r;
    int rc = -1;
    if (!alert) {
        rc = console_error(resp, 400, "bad_request", detail);
        goto out;
    }
    if (!json)
        goto out;
    /* the same validator and id as sb-ingest's */
    if ((r = sb_alert_parse(json, strlen(json), &a, detail, sizeof(detail))) != SB_REJECT_NONE) {
        rc = console_error(resp, 422, sb_reject_code(r), detail);
        goto out;
    }
    sb_id_alert(a.source, a.id, a.rule, a.user, a.occurred_at_utc, a.title, id);
    sb_alert_clear(&a);
    pthread_mutex_lock(&c->produce_mu);
    rc = sb_producer_send(c->producer, c->topic_alerts, id, strlen(id), json, strlen(json), errstr,
                          sizeof(errstr)) == 0 &&
                 sb_producer_flush(c->producer, ACK_MS, errstr, sizeof(errstr)) == 0
             ? 0
             : 1;
    pthread_mutex_unlock(&c->produce_mu);
    if (rc) {
        sb_log_warn("alert not published: %s", errstr);
        rc = console_error(resp, 503, "unavailable", "not published: try again");
        goto out;
    }
    if (console_audit(call->db, call->auth->who.actor, "alert_created", id, json, errstr,
                      sizeof(errstr)) != 0)
        sb_log_error("alert created but not audited: %s", errstr);
    sb_metrics_count(c->metrics, SB_M_PRODUCED, "alerts", 1);
    doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "id", id);
    cJSON_AddItemToObject(doc, "alert", alert);
    alert = NULL;
    rc = console_json(resp, 202, doc);
out:
    cJSON_free(json);
    cJSON_Delete(alert);
    return rc;
}
