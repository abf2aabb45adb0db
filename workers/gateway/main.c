/* sb-gateway: its configuration and the hooks the worker skeleton calls. */

/* The decisions live in gateway.c (HTTP, the serve loop), sb_payload.c
 * (what Slack sent) and intake*.c (alerts over HTTP: intake_setup.c wires
 * it in), the producer in publisher.c. The only process reachable from
 * outside; it has no database and stays stateless. */
#include <stdio.h>

#include "gateway.h"
#include "intake_setup.h"
#include "publisher.h"
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
    "employees' answers (direct messages, button clicks) to <prefix>responses. With "
    "SECURITYBOT_INTAKE_TOKENS_FILE, also takes detection systems' alerts (POST /v1/alerts, "
    "and Prometheus Alertmanager's webhook at POST /v1/alerts/alertmanager; bearer tokens; "
    "SIGHUP re-reads the file) and publishes them to <prefix>alerts. GET /healthz and /readyz "
    "for probes.";

typedef struct {
    sb_worker_config_t w;
    char *listen, *signing_secret;
    char topic[SB_TOPIC_MAX]; /* <prefix>responses */
    sb_intake_setup_t intake; /* intake_setup.c: its settings, topics, tokens and the intake */
    sb_http_limits_t http;
    sb_gateway_t gw;
} gateway_main_t;

static int configure(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    gateway_main_t *m = ctx;
    if (sb_kafka_topic(m->topic, sizeof(m->topic), w->prefix, SB_TOPIC_RESPONSES) == -1) {
        snprintf(errstr, errstr_size, "SECURITYBOT_TOPIC_PREFIX is too long");
        return -1;
    }
    /* a bad tokens file is a configuration error: exit 2 before serving */
    return sb_intake_setup_configure(&m->intake, w->prefix, errstr, errstr_size);
}

static int start(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    gateway_main_t *m = ctx;
    m->gw = (sb_gateway_t){m->signing_secret, m->topic, NULL, NULL, w->metrics, m->http};
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
    return sb_gateway_serve(&m->gw, m->listen, &m->intake, errstr, errstr_size);
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
        SB_CFG_SECRET_REQUIRED("SLACK_SIGNING_SECRET", &m.signing_secret, "Slack app's signing secret (verifies every request)"),
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
