/* intake_alertmanager: Alertmanager's webhook from the body's bytes to the 200 that says Kafka has
 * it.
 */
#include "intake_alertmanager.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sb_log.h"

/* 0 when the body is application/json; -1 after answering (*answered)
 * or when the answer could not be built. */
static int check_content_type(const sb_http_request_t *req, sb_http_response_t *resp,
                              int *answered) {
    *answered = 1;
    if (sb_http_header_count(req, "Content-Type") > 1)
        return sb_intake_refuse(resp, 400, "bad_request", "more than one Content-Type header");
    if (!sb_http_media_type_is(sb_http_header(req, "Content-Type"), "application/json"))
        return sb_intake_refuse(resp, 415, "unsupported_media_type", "application/json");
    *answered = 0;
    return 0;
}

/* Publishes r's alerts, then its dead letters, each batch acknowledged by
 * Kafka. 0, or -1 with errstr (answer 503: the re-sent group is the same
 * alerts, the same ids). */
static int publish(sb_intake_t *in, const char *path, const sb_intake_sender_t *who,
                   const sb_am_result_t *r, char *errstr, size_t errstr_size) {
    sb_intake_alert_t *a = calloc(r->accepted ? r->accepted : 1, sizeof(*a));
    sb_intake_dead_t *d = calloc(r->dead_lettered ? r->dead_lettered : 1, sizeof(*d));
    int rc = -1;

    if (!a || !d) {
        snprintf(errstr, errstr_size, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < r->accepted; i++)
        a[i] =
            (sb_intake_alert_t){r->alerts[i].alert.user, r->alerts[i].json, r->alerts[i].json_len};
    for (size_t i = 0; i < r->dead_lettered; i++)
        d[i] = (sb_intake_dead_t){
            r->dead[i].original, r->dead[i].original_len,           NULL,
            r->dead[i].index,    sb_reject_code(r->dead[i].reason), r->dead[i].detail};
    if (r->accepted && sb_intake_publish(in, a, r->accepted, errstr, errstr_size) != 0)
        goto out;
    if (r->dead_lettered &&
        sb_intake_dead_letters(in, path, who, d, r->dead_lettered, errstr, errstr_size) != 0)
        goto out;
    rc = 0;
out:
    free(a);
    free(d);
    return rc;
}

/* 200 with the three counts. */
static int answer_counts(sb_http_response_t *resp, const sb_am_result_t *r) {
    char body[128];
    int n = snprintf(body, sizeof(body),
                     "{\"accepted\":%zu,\"dead_lettered\":%zu,\"resolved_ignored\":%zu}",
                     r->accepted, r->dead_lettered, r->resolved_ignored);
    return sb_http_respond(resp, 200, "application/json", body, (size_t)n);
}

/* Publishes what the mapping made of an authenticated body and answers. */
static int deliver(sb_intake_t *in, const sb_http_request_t *req, const sb_intake_sender_t *who,
                   const sb_am_result_t *r, sb_http_response_t *resp) {
    char accepted[24], dead[24], resolved[24], errstr[512];
    snprintf(accepted, sizeof(accepted), "%zu", r->accepted);
    snprintf(dead, sizeof(dead), "%zu", r->dead_lettered);
    snprintf(resolved, sizeof(resolved), "%zu", r->resolved_ignored);
    sb_log_kv_t kv[] = {{"path", req->path},
                        {"source", who->source},
                        {"alerts", accepted},
                        {"dead_lettered", dead},
                        {"resolved", resolved}};

    if (publish(in, req->path, who, r, errstr, sizeof(errstr)) != 0) {
        sb_log_kv(SB_LOG_WARN, kv, 5, "alertmanager alerts not acknowledged, answering 503: %s",
                  errstr);
        return sb_intake_unavailable(resp);
    }
    if (r->dead_lettered) /* the first one says what the sender should fix */
        sb_log_kv(SB_LOG_WARN, kv, 5,
                  "alertmanager alerts accepted, some dead-lettered (item %zu: %s)",
                  r->dead[0].index, r->dead[0].detail);
    else
        sb_log_kv(SB_LOG_INFO, kv, 5, "alertmanager alerts accepted");
    return answer_counts(resp, r);
}

/* A body that is not Alertmanager's webhook: 400, logged with its reason. */
static int refuse_body(const sb_http_request_t *req, const sb_intake_sender_t *who,
                       sb_reject_t reject, const char *detail, sb_http_response_t *resp) {
    sb_log_kv_t kv[] = {{"path", req->path},
                        {"source", who->source},
                        {"status", "400"},
                        {"reason", sb_reject_code(reject)}};
    sb_log_kv(SB_LOG_WARN, kv, 4, "intake request refused: %s", detail);
    return sb_intake_refuse(resp, 400, "bad_request", detail);
}

int sb_intake_alertmanager(sb_intake_t *in, const sb_http_request_t *req,
                           sb_http_response_t *resp) {
    sb_intake_sender_t who;
    sb_am_result_t r;
    char errstr[256];
    int rc, answered;

    if ((rc = sb_intake_authenticate(in, req, &who, resp)) != 1)
        return rc;
    if ((rc = check_content_type(req, resp, &answered)) != 0 || answered)
        return rc;
    if (sb_am_map(req->body, req->body_len, who.source, sb_intake_user_label(in), &r, errstr,
                  sizeof(errstr)) != 0)
        return r.reject == SB_REJECT_NONE ? -1 : refuse_body(req, &who, r.reject, errstr, resp);
    if (r.truncated_alerts) {
        char cut[24];
        snprintf(cut, sizeof(cut), "%zu", r.truncated_alerts);
        sb_log_kv_t kv[] = {{"path", req->path}, {"source", who.source}, {"truncated_alerts", cut}};
        sb_log_kv(SB_LOG_WARN, kv, 3,
                  "alertmanager left alerts out of this group (its receiver's max_alerts); "
                  "they are not in the body");
    }
    /* every firing item costs, mapped or dead: both are published;
     * resolved ones publish nothing and cost nothing */
    rc = 1;
    if (r.accepted + r.dead_lettered > 0)
        rc = sb_intake_charge(in, &who, req->path, r.accepted + r.dead_lettered, resp);
    if (rc == 1)
        rc = deliver(in, req, &who, &r, resp);
    sb_am_result_clear(&r);
    return rc;
}
