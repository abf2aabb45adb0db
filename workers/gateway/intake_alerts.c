/* intake_alerts: POST /v1/alerts from the body's bytes to the 202 that says Kafka has them all. */
#include "intake_alerts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_id.h"
#include "sb_log.h"
#include "sb_utf8.h"

/* A detail may quote a cut of hostile input; the answer must stay JSON. */
static void sanitize(char *d) {
    if (sb_utf8_valid(d, strlen(d)))
        return;
    for (; *d; d++)
        if ((unsigned char)*d >= 0x80)
            *d = '?';
}

static int add_error(cJSON **errors, size_t index, const char *reason, char *detail) {
    cJSON *e = cJSON_CreateObject();
    sanitize(detail);
    if (!*errors && !(*errors = cJSON_CreateArray()))
        goto fail;
    if (!e || !cJSON_AddNumberToObject(e, "index", (double)index) ||
        !cJSON_AddStringToObject(e, "reason", reason) ||
        !cJSON_AddStringToObject(e, "detail", detail))
        goto fail;
    cJSON_AddItemToArray(*errors, e);
    return 0;
fail:
    cJSON_Delete(e);
    return -1;
}

int sb_intake_alerts_check(const sb_intake_item_t *items, size_t n, const char *source,
                           sb_intake_checked_t *out) {
    char detail[256];

    memset(out, 0, sizeof(*out));
    out->other_source = -1;
    out->alerts = calloc(n ? n : 1, sizeof(*out->alerts));
    out->ids = calloc(n ? n : 1, sizeof(*out->ids));
    if (!out->alerts || !out->ids)
        return -1;
    out->n = n;
    for (size_t i = 0; i < n; i++) {
        sb_alert_t *a = &out->alerts[i];
        sb_reject_t r = sb_alert_parse(items[i].p, items[i].len, a, detail, sizeof(detail));
        if (r == SB_REJECT_NONE && sb_id_alert(a->source, a->id, a->rule, a->user,
                                               a->occurred_at_utc, a->title, out->ids[i]) != 0) {
            sb_alert_clear(a);
            r = SB_REJECT_INVALID_VALUE;
            snprintf(detail, sizeof(detail), "cannot compute the alert id");
        }
        if (r != SB_REJECT_NONE) {
            if (add_error(&out->errors, i, sb_reject_code(r), detail) != 0)
                return -1;
            continue;
        }
        if (out->other_source < 0 && strcmp(a->source, source) != 0)
            out->other_source = (long)i;
    }
    return 0;
}

void sb_intake_checked_clear(sb_intake_checked_t *c) {
    for (size_t i = 0; c->alerts && i < c->n; i++)
        sb_alert_clear(&c->alerts[i]);
    free(c->alerts);
    free(c->ids);
    cJSON_Delete(c->errors);
    memset(c, 0, sizeof(*c));
}

/* Answers o (deleted here) as JSON with status. 0 or -1. */
static int answer_json(sb_http_response_t *resp, int status, cJSON *o) {
    char *body = o ? cJSON_PrintUnformatted(o) : NULL;
    int rc = body ? sb_http_respond(resp, status, "application/json", body, strlen(body)) : -1;
    free(body);
    cJSON_Delete(o);
    return rc;
}

/* Publishes the checked alerts; 202 with their ids, or 503. */
static int accept(sb_intake_t *in, const sb_http_request_t *req, const sb_intake_item_t *items,
                  const sb_intake_checked_t *c, const char *source, sb_http_response_t *resp) {
    sb_intake_alert_t *a = calloc(c->n, sizeof(*a));
    cJSON *o = cJSON_CreateObject(), *ids = cJSON_CreateArray();
    char errstr[512], n[24];
    int rc = -1;

    snprintf(n, sizeof(n), "%zu", c->n);
    sb_log_kv_t kv[] = {{"path", req->path}, {"source", source}, {"alerts", n}};
    if (!a || !o || !ids)
        goto out;
    for (size_t i = 0; i < c->n; i++) {
        a[i] = (sb_intake_alert_t){c->alerts[i].user, items[i].p, items[i].len};
        cJSON_AddItemToArray(ids, cJSON_CreateString(c->ids[i]));
    }
    if (sb_intake_publish(in, a, c->n, errstr, sizeof(errstr)) != 0) {
        sb_log_kv(SB_LOG_WARN, kv, 3, "alerts not acknowledged, answering 503: %s", errstr);
        rc = sb_intake_unavailable(resp);
        goto out;
    }
    sb_log_kv(SB_LOG_INFO, kv, 3, "alerts accepted");
    if (!o || !cJSON_AddNumberToObject(o, "accepted", (double)c->n))
        goto out;
    cJSON_AddItemToObject(o, "ids", ids);
    ids = NULL; /* now o's */
    rc = answer_json(resp, 202, o);
    o = NULL; /* answer_json deleted it */
out:
    cJSON_Delete(ids);
    cJSON_Delete(o);
    free(a);
    return rc;
}

/* Judges the split items: 403, 422, or on to accept. */
static int judge(sb_intake_t *in, const sb_http_request_t *req, const sb_intake_item_t *items,
                 size_t n, const sb_intake_sender_t *who, sb_http_response_t *resp) {
    sb_intake_checked_t c;
    sb_log_kv_t kv[] = {{"path", req->path}, {"source", who->source}};
    char detail[128];
    cJSON *o;
    int rc = -1;

    if (sb_intake_alerts_check(items, n, who->source, &c) != 0)
        goto out;
    if (c.other_source >= 0) { /* before 422: a sender never writes for another */
        sb_log_kv(SB_LOG_WARN, kv, 2, "intake request refused (403): alert %ld of another source",
                  c.other_source);
        snprintf(detail, sizeof(detail), "alert %ld: its source is not this token's",
                 c.other_source);
        rc = sb_intake_refuse(resp, 403, "forbidden", detail);
    } else if (c.errors) {
        sb_log_kv(SB_LOG_WARN, kv, 2, "intake request refused (422): %d invalid alert(s)",
                  cJSON_GetArraySize(c.errors));
        if ((o = cJSON_CreateObject())) {
            cJSON_AddItemToObject(o, "errors", c.errors);
            c.errors = NULL; /* now o's */
        }
        rc = answer_json(resp, 422, o);
    } else {
        rc = accept(in, req, items, &c, who->source, resp);
    }
out:
    sb_intake_checked_clear(&c);
    return rc;
}

/* The body's format from its Content-Type: 0, or -1 after answering. */
static int body_format(const sb_http_request_t *req, sb_intake_format_t *f,
                       sb_http_response_t *resp, int *answered) {
    const char *ct = sb_http_header(req, "Content-Type");
    *answered = 1;
    if (sb_http_header_count(req, "Content-Type") > 1)
        return sb_intake_refuse(resp, 400, "bad_request", "more than one Content-Type header");
    if (sb_http_media_type_is(ct, "application/json"))
        *f = SB_INTAKE_JSON;
    else if (sb_http_media_type_is(ct, "application/x-ndjson"))
        *f = SB_INTAKE_NDJSON;
    else
        return sb_intake_refuse(resp, 415, "unsupported_media_type",
                                "application/json or application/x-ndjson");
    *answered = 0;
    return 0;
}

int sb_intake_alerts(sb_intake_t *in, const sb_http_request_t *req, sb_http_response_t *resp) {
    sb_intake_item_t *items = NULL;
    sb_intake_sender_t who;
    sb_intake_format_t format = SB_INTAKE_JSON;
    char detail[128];
    size_t n = 0;
    int rc, answered;

    if ((rc = sb_intake_authenticate(in, req, &who, resp)) != 1)
        return rc;
    if ((rc = body_format(req, &format, resp, &answered)) != 0 || answered)
        return rc;
    if (!(items = calloc(SB_INTAKE_MAX_ALERTS, sizeof(*items))))
        return -1;
    switch (sb_intake_body_split(req->body, req->body_len, format, items, SB_INTAKE_MAX_ALERTS, &n,
                                 detail, sizeof(detail))) {
    case SB_INTAKE_BODY_OK:
        if ((rc = sb_intake_charge(in, &who, req->path, n, resp)) == 1)
            rc = judge(in, req, items, n, &who, resp);
        break;
    case SB_INTAKE_BODY_TOO_MANY:
        rc = sb_intake_refuse(resp, 413, "too_many_alerts", detail);
        break;
    default: rc = sb_intake_refuse(resp, 400, "bad_request", detail); break;
    }
    free(items);
    return rc;
}
