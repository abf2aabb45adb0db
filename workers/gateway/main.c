/* sb-gateway: its configuration and the hooks the worker skeleton calls. */

/* The decisions live in gateway.c (HTTP, the serve loop), sb_payload.c
 * (what Slack sent) and intake*.c (alerts over HTTP: intake_setup.c wires
 * it in), the producer in publisher.c. The only process reachable from
 * outside; it has no database and stays stateless. */
#include <stdio.h>
#include <string.h>

#include "gateway.h"
#include "intake_setup.h"
#include "publisher.h"
#include "sb_chat.h"
#include "sb_curl.h"
#include "sb_signal.h"
#include "sb_worker.h"

/* At shutdown, how long what is still queued may take to reach Kafka. Every
 * request answered 200 was acknowledged already; the rest were answered
 * 503 and Slack retries them. */
#define SHUTDOWN_FLUSH_MS 2000

/* What --help says the worker does. */
static const char summary[] =
    "Serves Slack's Events API (POST /slack/events) and interactivity (POST "
    "/slack/interactive), verifies each request's signature, and publishes "
    "employees' answers (direct messages, button clicks) to <prefix>responses; or, with "
    "SECURITYBOT_SLACK_MODE=socket, takes the same from Slack's Socket Mode over a WebSocket "
    "it opens itself (no public endpoint). With "
    "SECURITYBOT_INTAKE_TOKENS_FILE, also takes detection systems' alerts (POST /v1/alerts, "
    "and Prometheus Alertmanager's webhook at POST /v1/alerts/alertmanager; bearer tokens; "
    "SIGHUP re-reads the file) and publishes them to <prefix>alerts. GET /healthz and /readyz "
    "for probes.";

typedef struct {
    sb_worker_config_t w;
    char *listen, *signing_secret;
    char *slack_mode, *app_token, *api_url; /* Socket Mode */
    char *mm_actions_secret;                /* Mattermost's buttons */
    char *mm_command_token;                 /* Mattermost's slash command */
    sb_gateway_socket_t sock;
    char topic[SB_TOPIC_MAX]; /* <prefix>responses */
    sb_intake_setup_t intake; /* intake_setup.c: its settings, topics, tokens and the intake */
    sb_http_limits_t http;
    sb_gateway_t gw;
} gateway_main_t;

/* events mode needs the signing secret, unless the gateway serves
 * Mattermost only (MATTERMOST_ACTIONS_SECRET without it: the Slack
 * callbacks answer 404); socket mode the app-level token (and no signing
 * secret: Slack never calls a Socket Mode app). */
static int configure_slack(gateway_main_t *m, char *errstr, size_t errstr_size) {
    if (strcmp(m->slack_mode, "events") == 0) {
        if (m->signing_secret && *m->signing_secret)
            return 0;
        if (m->mm_actions_secret && *m->mm_actions_secret) {
            m->signing_secret = NULL;
            return 0;
        }
        snprintf(errstr, errstr_size,
                 "SLACK_SIGNING_SECRET (or _FILE) is required with SECURITYBOT_SLACK_MODE=events "
                 "(unless the gateway serves Mattermost only: MATTERMOST_ACTIONS_SECRET)");
        return -1;
    }
    if (strcmp(m->slack_mode, "socket") != 0) {
        snprintf(errstr, errstr_size, "SECURITYBOT_SLACK_MODE must be events or socket");
        return -1;
    }
    if (!m->app_token || strncmp(m->app_token, "xapp-", 5) != 0 ||
        strcspn(m->app_token, " \t\r\n") != strlen(m->app_token)) {
        snprintf(errstr, errstr_size,
                 "SLACK_APP_TOKEN (or _FILE) must be an app-level token "
                 "(xapp-...) with SECURITYBOT_SLACK_MODE=socket");
        return -1;
    }
    /* apps.connections.open carries the app token */
    if (sb_curl_check_secret_url("SLACK_API_URL", m->api_url, errstr, errstr_size) == -1)
        return -1;
    m->signing_secret = NULL; /* the Slack callbacks answer 404 */
    m->sock = (sb_gateway_socket_t){m->api_url, m->app_token};
    return 0;
}

static int configure(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    gateway_main_t *m = ctx;
    if (configure_slack(m, errstr, errstr_size) != 0)
        return -1; /* configuration errors exit 2 */
    if (sb_kafka_topic(m->topic, sizeof(m->topic), w->prefix, SB_TOPIC_RESPONSES) == -1) {
        snprintf(errstr, errstr_size, "SECURITYBOT_TOPIC_PREFIX is too long");
        return -1;
    }
    /* a bad tokens file is a configuration error: exit 2 before serving */
    return sb_intake_setup_configure(&m->intake, w->prefix, errstr, errstr_size);
}

static int start(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    gateway_main_t *m = ctx;
    m->gw = (sb_gateway_t){m->signing_secret, m->topic, NULL, NULL, w->metrics,
                           m->http,           NULL,     NULL, NULL};
    m->gw.mm_actions_secret =
        m->mm_actions_secret && *m->mm_actions_secret ? m->mm_actions_secret : NULL;
    m->gw.mm_command_token =
        m->mm_command_token && *m->mm_command_token ? m->mm_command_token : NULL;
    if (!(m->gw.pub = sb_publisher_new(m->w.common.kafka_brokers, errstr, errstr_size)))
        return -1;
    sb_signal_install_reload();
    if (sb_intake_setup_start(&m->intake, m->gw.pub, w->metrics, errstr, errstr_size) != 0)
        return -1;
    m->gw.intake = m->intake.intake; /* NULL: off */
    return 0;
}

/* Serves until shutdown (gateway.c); handlers run on the server's threads. */
static int serve(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    gateway_main_t *m = ctx;
    (void)w;
    return sb_gateway_serve(&m->gw, m->listen, &m->intake, &m->sock, errstr, errstr_size);
}

/* What was queued gets its bounded flush. */
static void stop(void *ctx) {
    gateway_main_t *m = ctx;
    sb_intake_setup_stop(&m->intake);
    sb_publisher_destroy(m->gw.pub, SHUTDOWN_FLUSH_MS);
}

int main(int argc, char **argv) {
    gateway_main_t m = {0};
    /* one entry a line: a table that reads on its own */
    /* clang-format off */
    const sb_cfg_entry_t table[] = {
        SB_COMMON_CONFIG_ENTRIES_DB_OPTIONAL(&m.w.common, "not used by sb-gateway (it has no database)"),
        SB_METRICS_CONFIG_ENTRY(&m.w.metrics_listen),
        SB_CFG_STR("SECURITYBOT_HTTP_LISTEN", &m.listen, "127.0.0.1:8080", "ADDRESS:PORT to serve HTTP on (numeric IPv4, or [IPv6]; port 0 picks a free one)"),
        SB_HTTP_CONFIG_ENTRIES(&m.http),
        SB_CFG_STR("SECURITYBOT_SLACK_MODE", &m.slack_mode, "events", "how Slack reaches us: events (HTTP callbacks to /slack/*) or socket (Socket Mode: the gateway dials out, /slack/* answer 404)"),
        SB_CFG_SECRET("SLACK_SIGNING_SECRET", &m.signing_secret, "Slack app's signing secret (verifies every request), required with SECURITYBOT_SLACK_MODE=events unless only Mattermost is served (unset with MATTERMOST_ACTIONS_SECRET: /slack/* answer 404)"),
        SB_CFG_SECRET("SLACK_APP_TOKEN", &m.app_token, "Slack app-level token (xapp-..., scope connections:write), required with SECURITYBOT_SLACK_MODE=socket"),
        SB_CFG_STR("SLACK_API_URL", &m.api_url, SB_CHAT_DEFAULT_SLACK_API_URL, "Slack Web API base URL (socket mode: apps.connections.open; http:// allows a ws:// socket, for tests)"),
        SB_CFG_SECRET("MATTERMOST_ACTIONS_SECRET", &m.mm_actions_secret, "the key of the MAC each Mattermost button carries in its context (POST /mattermost/actions) and each code dialog in its state (POST /mattermost/dialogs); unset: those paths answer 404"),
        SB_CFG_SECRET("MATTERMOST_COMMAND_TOKEN", &m.mm_command_token, "the token Mattermost gives the /securitybot slash command (POST /mattermost/commands, compared in constant time); unset: that path answers 404"),
        SB_CFG_STR("SECURITYBOT_INTAKE_TOKENS_FILE", &m.intake.tokens_file, NULL, "file of \"SOURCE SHA256HEX\" lines (sbctl intake-token create), owner-only; re-read on SIGHUP; unset: POST /v1/alerts and /v1/alerts/alertmanager answer 404"),
        SB_CFG_INT("SECURITYBOT_INTAKE_RATE", &m.intake.rate, "1000", 1, 1000000, "alerts per second each intake token may send (burst the same); over it: 429 with Retry-After"),
        SB_CFG_STR("SECURITYBOT_ALERTMANAGER_USER_LABEL", &m.intake.user_label, "user", "the Alertmanager label that names the alert's user (POST /v1/alerts/alertmanager)"),
    };
    const sb_worker_spec_t spec = {
        .name = "sb-gateway", .summary = summary, SB_WORKER_TABLE(table), .settings = &m.w,
        .configure = configure, .start = start, .run = serve, .stop = stop, .ctx = &m,
    };
    /* clang-format on */
    return sb_worker_main(&spec, argc, argv);
}
