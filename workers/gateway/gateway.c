/* gateway: verify each Slack request, decide what it means, publish it, answer Slack; route the
 * intake; serve until shutdown. */
#include "gateway.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "intake_alerts.h"
#include "intake_alertmanager.h"
#include "mattermost.h"
#include "sb_payload.h"
#include "sb_log.h"
#include "sb_schema.h"
#include "sb_signal.h"
#include "sb_slack_sig.h"
#include "sb_time.h"
#include "sb_worker.h"
#include "socket_mode.h"

#define TEXT_PLAIN "text/plain; charset=utf-8"

static int answer(sb_http_response_t *resp, int status, const char *text) {
    return sb_http_respond(resp, status, TEXT_PLAIN, text, strlen(text));
}

/* Checks Slack's signature before anything else looks at the body: 1 when
 * authentic, 0 when not (401), -1 when a signature header is repeated
 * (400). Logs the refusal's reason code (never the secret, the signature
 * or the body). */
static int authentic(const sb_gateway_t *gw, const sb_http_request_t *req) {
    char reason[64];
    int64_t now_s = sb_time_now_us() / 1000000;

    if (sb_http_header_count(req, "X-Slack-Request-Timestamp") > 1 ||
        sb_http_header_count(req, "X-Slack-Signature") > 1) {
        /* which one did Slack sign? a proxy may have kept the other */
        sb_log_kv_t kv[] = {{"path", req->path}, {"status", "400"}, {"reason", "repeated"}};
        sb_log_kv(SB_LOG_WARN, kv, 3, "slack request refused: a repeated signature header");
        return -1;
    }
    if (sb_slack_verify(gw->signing_secret, sb_http_header(req, "X-Slack-Request-Timestamp"),
                        sb_http_header(req, "X-Slack-Signature"), req->body, req->body_len, now_s,
                        reason, sizeof(reason)) == 0)
        return 1;
    sb_log_kv_t kv[] = {{"path", req->path}, {"status", "401"}, {"reason", reason}};
    sb_log_kv(SB_LOG_WARN, kv, 3, "slack request refused: bad signature");
    return 0;
}

int sb_gateway_publish(const sb_gateway_t *gw, const sb_payload_t *p, const char *via) {
    const cJSON *ev = p->event;
    const char *event_id = cJSON_GetObjectItemCaseSensitive(ev, "event_id")->valuestring;
    const char *kind = cJSON_GetObjectItemCaseSensitive(ev, "kind")->valuestring;
    const cJSON *alert = cJSON_GetObjectItemCaseSensitive(ev, "alert_id");
    sb_log_kv_t kv[] = {{"event_id", event_id},
                        {"kind", kind},
                        {"chat_user_id", p->chat_user_id},
                        {"alert_id", cJSON_IsString(alert) ? alert->valuestring : NULL},
                        {"via", via}};
    char errstr[512], *json = NULL;
    int rc = SB_GATEWAY_PUBLISH_BUG;

    if (sb_schema_validate("response", ev, errstr, sizeof(errstr)) != 0) {
        sb_log_kv(SB_LOG_ERROR, kv, 5, "bug: the response event fails response.v1: %s", errstr);
        goto out;
    }
    if (!(json = cJSON_PrintUnformatted(ev))) {
        sb_log_kv(SB_LOG_ERROR, kv, 5, "out of memory printing the response event");
        goto out;
    }
    /* Keyed by the chat user id: the gateway is stateless (no database, so
     * no employee id), and one chat user id is one employee, so each
     * person's answers stay in order on one partition. */
    if (sb_publisher_send(gw->pub, gw->responses_topic, p->chat_user_id, strlen(p->chat_user_id),
                          json, strlen(json), SB_GATEWAY_ACK_TIMEOUT_MS, errstr,
                          sizeof(errstr)) != 0) {
        sb_log_kv(SB_LOG_WARN, kv, 5, "response not published, Slack will retry: %s", errstr);
        rc = SB_GATEWAY_PUBLISH_RETRY;
        goto out;
    }
    sb_log_kv(SB_LOG_INFO, kv, 5, "response published");
    sb_metrics_count(gw->metrics, SB_M_PRODUCED, "responses", 1);
    rc = SB_GATEWAY_PUBLISHED;
out:
    free(json);
    return rc;
}

/* 200 once Kafka acknowledged the event, 503 otherwise (Slack retries; a
 * retry may publish the event again with the same event_id, and sb-response
 * deduplicates on it). -1 (500) when the event fails its own schema: that
 * is a bug, never the sender's fault. */
static int publish(const sb_gateway_t *gw, const sb_payload_t *p, sb_http_response_t *resp) {
    switch (sb_gateway_publish(gw, p, "http")) {
    case SB_GATEWAY_PUBLISHED: return answer(resp, 200, "");
    case SB_GATEWAY_PUBLISH_RETRY: return answer(resp, 503, "not published, retry later\n");
    default: return -1;
    }
}

/* Answers what a read payload asks for. */
static int conclude(const sb_gateway_t *gw, const sb_http_request_t *req, const sb_payload_t *p,
                    sb_http_response_t *resp) {
    sb_log_kv_t kv[] = {{"path", req->path}, {"reason", p->reason}};

    switch (p->verdict) {
    case SB_PAYLOAD_BAD:
        sb_log_kv(SB_LOG_WARN, kv, 2, "slack request refused (400): %s", p->detail);
        return answer(resp, 400, "bad request\n");
    case SB_PAYLOAD_IGNORE:
        sb_log_kv(SB_LOG_INFO, kv, 2, "slack request ignored: %s", p->detail);
        return answer(resp, 200, "");
    case SB_PAYLOAD_CHALLENGE:
        /* Slack accepts the challenge back as plain text */
        return sb_http_respond(resp, 200, TEXT_PLAIN, p->challenge, strlen(p->challenge));
    case SB_PAYLOAD_PUBLISH: return publish(gw, p, resp);
    case SB_PAYLOAD_ERROR: break;
    }
    sb_log_kv(SB_LOG_ERROR, kv, 2, "cannot handle a slack request: %s", p->detail);
    return -1;
}

typedef void (*payload_reader_t)(const char *body, size_t len, const char *now, sb_payload_t *out);

/* Every Slack request: authenticate, read with `read`, answer. */
static int handle_slack(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp,
                        payload_reader_t read) {
    const sb_gateway_t *gw = ctx;
    sb_payload_t p;
    char now[32];
    int rc;

    int64_t t0 = sb_time_monotonic_us();
    char status[8];

    if (!gw->signing_secret) { /* Socket Mode: Slack never calls us */
        sb_metrics_count(gw->metrics, SB_M_HTTP, "404", 1);
        return answer(resp, 404, "not found (SECURITYBOT_SLACK_MODE=socket)\n");
    }
    if ((rc = authentic(gw, req)) != 1) {
        sb_metrics_count(gw->metrics, SB_M_HTTP, rc == 0 ? "401" : "400", 1);
        return rc == 0 ? answer(resp, 401, "unauthorized\n")
                       : answer(resp, 400, "repeated signature header\n");
    }
    sb_time_format_us(sb_time_now_us(), now, sizeof(now));
    read(req->body, req->body_len, now, &p);
    rc = conclude(gw, req, &p, resp);
    sb_payload_clear(&p);
    snprintf(status, sizeof(status), "%d", rc == 0 ? resp->status : 500);
    sb_metrics_count(gw->metrics, SB_M_HTTP, status, 1);
    sb_metrics_observe(gw->metrics, (double)(sb_time_monotonic_us() - t0) / 1e6);
    return rc;
}

/* POST /slack/events: the Events API. */
static int on_events(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    return handle_slack(ctx, req, resp, sb_payload_read_event);
}

/* POST /slack/interactive: button clicks. */
static int on_interactive(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    return handle_slack(ctx, req, resp, sb_payload_read_interaction);
}

/* A slash command's answer: ephemeral, seen by its author only. */
static const char MM_COMMAND_ANSWER[] =
    "{\"response_type\":\"ephemeral\",\"text\":\"Got it: I answer in our direct messages.\"}";

/* What a Mattermost click, dialog or command gets: 200 once published
 * ("{}", or the command's ephemeral answer), 503 when Kafka did not take it
 * in time, 403 for a context or state refused (401 for a command token),
 * 200 "{}" for a cancelled dialog, 400 malformed. */
static int conclude_mm(const sb_gateway_t *gw, const sb_http_request_t *req,
                       const sb_mm_action_t *a, sb_http_response_t *resp) {
    sb_log_kv_t kv[] = {{"path", req->path}, {"reason", a->p.reason}};
    int command = strcmp(req->path, "/mattermost/commands") == 0;

    switch (a->p.verdict) {
    case SB_PAYLOAD_PUBLISH:
        switch (sb_gateway_publish(gw, &a->p, "mattermost")) {
        case SB_GATEWAY_PUBLISHED:
            return command ? sb_http_respond(resp, 200, "application/json", MM_COMMAND_ANSWER,
                                             strlen(MM_COMMAND_ANSWER))
                           : sb_http_respond(resp, 200, "application/json", "{}", 2);
        case SB_GATEWAY_PUBLISH_RETRY: return answer(resp, 503, "not published, retry later\n");
        default: return -1;
        }
    case SB_PAYLOAD_IGNORE:              /* a context or token refused: never published */
        if (a->refused == SB_MMCTX_OK) { /* a dialog cancelled */
            sb_log_kv(SB_LOG_INFO, kv, 2, "mattermost request ignored: %s", a->p.detail);
            return sb_http_respond(resp, 200, "application/json", "{}", 2);
        }
        if (command) {
            sb_log_kv(SB_LOG_WARN, kv, 2, "mattermost command refused (401): %s", a->p.detail);
            return answer(resp, 401, "unauthorized\n");
        }
        sb_log_kv(SB_LOG_WARN, kv, 2, "mattermost click refused (403): %s", a->p.detail);
        return answer(resp, 403, "forbidden\n");
    case SB_PAYLOAD_BAD:
        sb_log_kv(SB_LOG_WARN, kv, 2, "mattermost request refused (400): %s", a->p.detail);
        return answer(resp, 400, "bad request\n");
    default:
        sb_log_kv(SB_LOG_ERROR, kv, 2, "cannot handle a mattermost request: %s", a->p.detail);
        return -1;
    }
}

/* POST /mattermost/actions: a button click, proven by its context's MAC;
 * POST /mattermost/dialogs: the code dialog's submission, by its state's;
 * POST /mattermost/commands: the slash command, by Mattermost's token. */
static int on_mattermost(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    const sb_gateway_t *gw = ctx;
    int64_t t0 = sb_time_monotonic_us(), now_us = sb_time_now_us();
    int command = strcmp(req->path, "/mattermost/commands") == 0;
    int dialog = strcmp(req->path, "/mattermost/dialogs") == 0;
    sb_mm_action_t a;
    char now[40], status[8];
    int rc;

    if (!(command ? gw->mm_command_token : gw->mm_actions_secret)) {
        sb_metrics_count(gw->metrics, SB_M_HTTP, "404", 1);
        return answer(resp, 404,
                      command ? "not found (MATTERMOST_COMMAND_TOKEN is not set)\n"
                              : "not found (MATTERMOST_ACTIONS_SECRET is not set)\n");
    }
    sb_time_format_us(now_us, now, sizeof(now));
    if (command)
        sb_mm_read_command(req->body, req->body_len, gw->mm_command_token, now, &a);
    else if (dialog)
        sb_mm_read_dialog(req->body, req->body_len, gw->mm_actions_secret, now_us / 1000000, now,
                          &a);
    else
        sb_mm_read_action(req->body, req->body_len, gw->mm_actions_secret, now_us / 1000000, now,
                          &a);
    rc = conclude_mm(gw, req, &a, resp);
    sb_payload_clear(&a.p);
    snprintf(status, sizeof(status), "%d", rc == 0 ? resp->status : 500);
    sb_metrics_count(gw->metrics, SB_M_HTTP, status, 1);
    sb_metrics_observe(gw->metrics, (double)(sb_time_monotonic_us() - t0) / 1e6);
    return rc;
}

typedef int (*intake_handler_t)(sb_intake_t *in, const sb_http_request_t *req,
                                sb_http_response_t *resp);

/* Every intake request: handle, then count and time it. */
static int handle_intake(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp,
                         intake_handler_t handle) {
    const sb_gateway_t *gw = ctx;
    int64_t t0 = sb_time_monotonic_us();
    char status[8];
    int rc = handle(gw->intake, req, resp);

    snprintf(status, sizeof(status), "%d", rc == 0 ? resp->status : 500);
    sb_metrics_count(gw->metrics, SB_M_HTTP, status, 1);
    sb_metrics_observe(gw->metrics, (double)(sb_time_monotonic_us() - t0) / 1e6);
    return rc;
}

/* Both intake routes: the sender is checked on the headers alone, before
 * the body is read, so a request without a valid token never makes the
 * gateway hold up to the route's cap (16 MiB for Alertmanager). The handler
 * checks again (the tokens may be reloaded in between). */
static int intake_precheck(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    const sb_gateway_t *gw = ctx;
    sb_intake_sender_t who;
    char status[8];
    int rc = sb_intake_authenticate(gw->intake, req, &who, resp);

    if (rc != 1) {
        snprintf(status, sizeof(status), "%d", rc == 0 ? resp->status : 500);
        sb_metrics_count(gw->metrics, SB_M_HTTP, status, 1);
    }
    return rc;
}

/* POST /v1/alerts: detection systems' alerts (intake_alerts.c). */
static int on_alerts(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    return handle_intake(ctx, req, resp, sb_intake_alerts);
}

/* POST /v1/alerts/alertmanager: Alertmanager's webhook (intake_alertmanager.c). */
static int on_alertmanager(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    return handle_intake(ctx, req, resp, sb_intake_alertmanager);
}

/* GET /healthz: the process answers. */
static int on_healthz(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    (void)ctx;
    (void)req;
    return answer(resp, 200, "ok\n");
}

/* GET /readyz: a broker answers and knows the responses topic; in Socket
 * Mode, Slack also said hello on a connection. */
static int on_readyz(void *ctx, const sb_http_request_t *req, sb_http_response_t *resp) {
    const sb_gateway_t *gw = ctx;
    char errstr[512];
    (void)req;

    if (gw->socket && !sb_socket_ready(gw->socket)) {
        sb_log_warn("not ready: no Socket Mode connection");
        return answer(resp, 503, "not ready\n");
    }
    if (sb_publisher_ready(gw->pub, gw->responses_topic, SB_GATEWAY_READY_TIMEOUT_MS, errstr,
                           sizeof(errstr)) == 0)
        return answer(resp, 200, "ready\n");
    sb_log_warn("not ready: %s", errstr);
    return answer(resp, 503, "not ready\n");
}

const sb_http_route_t sb_gateway_routes[] = {
    {"POST", "/slack/events", "application/json", SB_GATEWAY_MAX_BODY, on_events, NULL},
    {"POST", "/slack/interactive", "application/x-www-form-urlencoded", SB_GATEWAY_MAX_BODY,
     on_interactive, NULL},
    /* the intake checks its two content types itself (one route, one type) */
    {"POST", "/v1/alerts", NULL, SB_INTAKE_MAX_BODY, on_alerts, intake_precheck},
    {"POST", "/v1/alerts/alertmanager", NULL, SB_INTAKE_AM_MAX_BODY, on_alertmanager,
     intake_precheck},
    {"POST", "/mattermost/actions", "application/json", SB_GATEWAY_MAX_BODY, on_mattermost, NULL},
    {"POST", "/mattermost/dialogs", "application/json", SB_GATEWAY_MAX_BODY, on_mattermost, NULL},
    {"POST", "/mattermost/commands", "application/x-www-form-urlencoded", SB_GATEWAY_MAX_BODY,
     on_mattermost, NULL},
    {"GET", "/healthz", NULL, 0, on_healthz, NULL},
    {"GET", "/readyz", NULL, 0, on_readyz, NULL},
};
const size_t sb_gateway_nroutes = sizeof(sb_gateway_routes) / sizeof(sb_gateway_routes[0]);

int sb_gateway_serve(sb_gateway_t *gw, const char *listen, sb_intake_setup_t *intake,
                     const sb_gateway_socket_t *sock, char *errstr, size_t errstr_size) {
    char port[16];
    sb_http_server_t *srv;

    /* before the server, whose threads read gw->socket */
    if (sock->api_url &&
        !(gw->socket = sb_socket_start(gw, sock->api_url, sock->app_token, errstr, errstr_size)))
        return -1;
    if (!(srv = sb_http_start_limits(listen, sb_gateway_routes, sb_gateway_nroutes, gw, &gw->http,
                                     errstr, errstr_size))) {
        sb_socket_stop(gw->socket);
        gw->socket = NULL;
        /* a malformed address is a configuration error, a busy port is not */
        return strncmp(errstr, "SECURITYBOT_HTTP_LISTEN:", 24) == 0 ? SB_WORKER_CONFIG_ERROR : -1;
    }
    snprintf(port, sizeof(port), "%d", sb_http_port(srv));
    sb_log_kv_t kv[] = {{"listen", listen}, {"port", port}, {"topic", gw->responses_topic}};
    sb_log_kv(SB_LOG_INFO, kv, 3, "listening");
    /* look the topic up once, so the first answer does not wait for it
     * (best effort: /readyz tells when Kafka is there) */
    if (sb_publisher_ready(gw->pub, gw->responses_topic, 5000, errstr, errstr_size) == -1)
        sb_log_warn("%s (not ready yet; is the broker up, and did `sbctl topics` run?)", errstr);
    while (sb_running && !sb_publisher_fatal(gw->pub)) {
        sb_metrics_beat(gw->metrics);
        if (sb_reload) {
            sb_reload = 0;
            sb_intake_setup_reload(intake);
        }
        sb_time_sleep_ms(100);
    }
    /* stop taking envelopes (acknowledging those published), then stop
     * accepting and finish the requests in flight */
    sb_socket_stop(gw->socket);
    gw->socket = NULL;
    sb_http_stop(srv);
    if (!sb_publisher_fatal(gw->pub))
        return 0;
    snprintf(errstr, errstr_size, "fatal Kafka producer error");
    return -1;
}
