/* sb-gateway: its configuration and the hooks the worker skeleton calls. */

/* The decisions live in gateway.c (HTTP), sb_payload.c (what Slack
 * sent) and intake*.c (alerts over HTTP), the producer in publisher.c. The
 * only process reachable from outside; it has no database and stays
 * stateless. */
#include <stdio.h>
#include <string.h>

#include "gateway.h"
#include "publisher.h"
#include "sb_http.h"
#include "sb_signal.h"
#include "sb_time.h"
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
    "bearer tokens; SIGHUP re-reads the file) and publishes them to <prefix>alerts. GET "
    "/healthz and /readyz for probes.";

typedef struct {
    sb_worker_config_t w;
    char *listen, *signing_secret, *tokens_file;
    long intake_rate;
    char topic[SB_TOPIC_MAX], alerts[SB_TOPIC_MAX], dlq[SB_TOPIC_MAX]; /* <prefix>... */
    sb_tokens_t *tokens; /* read at configuration time, then the intake's */
    sb_gateway_t gw;
} gateway_main_t;

static int configure(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    gateway_main_t *m = ctx;
    if (sb_kafka_topic(m->topic, sizeof(m->topic), w->prefix, SB_TOPIC_RESPONSES) == -1 ||
        sb_kafka_topic(m->alerts, sizeof(m->alerts), w->prefix, SB_TOPIC_ALERTS) == -1 ||
        sb_kafka_topic(m->dlq, sizeof(m->dlq), w->prefix, SB_TOPIC_ALERTS_DLQ) == -1) {
        snprintf(errstr, errstr_size, "SECURITYBOT_TOPIC_PREFIX is too long");
        return -1;
    }
    /* a bad tokens file is a configuration error: exit 2 before serving */
    if (m->tokens_file && *m->tokens_file &&
        !(m->tokens = sb_tokens_load(m->tokens_file, errstr, errstr_size)))
        return SB_WORKER_CONFIG_ERROR;
    return 0;
}

static int start(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    gateway_main_t *m = ctx;
    sb_intake_config_t ic = {m->tokens_file, (double)m->intake_rate, m->alerts, m->dlq, NULL,
                             w->metrics};
    size_t ntokens = sb_tokens_count(m->tokens);

    m->gw.signing_secret = m->signing_secret;
    m->gw.responses_topic = m->topic;
    m->gw.metrics = w->metrics;
    if (!(m->gw.pub = sb_publisher_new(m->w.common.kafka_brokers, errstr, errstr_size)))
        return -1;
    sb_signal_install_reload();
    if (!m->tokens)
        return 0; /* the intake is off */
    ic.pub = m->gw.pub;
    m->gw.intake = sb_intake_new(&ic, m->tokens, errstr, errstr_size);
    m->tokens = NULL; /* the intake's now, whatever the outcome */
    if (m->gw.intake)
        sb_log_info("intake on: %zu token(s) from %s", ntokens, m->tokens_file);
    return m->gw.intake ? 0 : -1;
}

/* SIGHUP: re-read the tokens file; a bad file keeps the tokens in force. */
static void reload(gateway_main_t *m) {
    char errstr[512];
    size_t n = 0;
    sb_reload = 0;
    if (!m->gw.intake)
        sb_log_info("SIGHUP: nothing to reload (SECURITYBOT_INTAKE_TOKENS_FILE is not set)");
    else if (sb_intake_reload(m->gw.intake, &n, errstr, sizeof(errstr)) == 0)
        sb_log_info("SIGHUP: intake tokens reloaded, %zu token(s)", n);
    else
        sb_log_error("SIGHUP: %s; the tokens loaded before stay in force", errstr);
}

/* Serves until shutdown; handlers run on the server's threads. */
static int serve(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    gateway_main_t *m = ctx;
    char port[16];
    sb_http_server_t *srv = sb_http_start(m->listen, sb_gateway_routes, sb_gateway_nroutes, &m->gw,
                                          errstr, errstr_size);
    if (!srv) /* a malformed address is a configuration error, a busy port is not */
        return strncmp(errstr, "SECURITYBOT_HTTP_LISTEN:", 24) == 0 ? SB_WORKER_CONFIG_ERROR : -1;
    snprintf(port, sizeof(port), "%d", sb_http_port(srv));
    sb_log_kv_t kv[] = {{"listen", m->listen}, {"port", port}, {"topic", m->topic}};
    sb_log_kv(SB_LOG_INFO, kv, 3, "listening");
    /* look the topic up once, so the first answer does not wait for it
     * (best effort: /readyz tells when Kafka is there) */
    if (sb_publisher_ready(m->gw.pub, m->topic, 5000, errstr, errstr_size) == -1)
        sb_log_warn("%s (not ready yet; is the broker up, and did `sbctl topics` run?)", errstr);
    while (sb_running && !sb_publisher_fatal(m->gw.pub)) {
        sb_metrics_beat(w->metrics);
        if (sb_reload)
            reload(m);
        sb_time_sleep_ms(100);
    }
    /* stop accepting and finish the requests in flight */
    sb_http_stop(srv);
    if (!sb_publisher_fatal(m->gw.pub))
        return 0;
    snprintf(errstr, errstr_size, "fatal Kafka producer error");
    return -1;
}

/* What was queued gets its bounded flush. */
static void stop(void *ctx) {
    gateway_main_t *m = ctx;
    sb_intake_destroy(m->gw.intake);
    sb_tokens_destroy(m->tokens); /* when start never ran */
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
        SB_CFG_SECRET_REQUIRED("SLACK_SIGNING_SECRET", &m.signing_secret, "Slack app's signing secret (verifies every request)"),
        SB_CFG_STR("SECURITYBOT_INTAKE_TOKENS_FILE", &m.tokens_file, NULL, "file of \"SOURCE SHA256HEX\" lines (sbctl intake-token create), owner-only; re-read on SIGHUP; unset: POST /v1/alerts answers 404"),
        SB_CFG_INT("SECURITYBOT_INTAKE_RATE", &m.intake_rate, "1000", 1, 1000000, "alerts per second each intake token may send (burst the same); over it: 429 with Retry-After"),
    };
    const sb_worker_spec_t spec = {
        .name = "sb-gateway", .summary = summary, SB_WORKER_TABLE(table), .settings = &m.w,
        .configure = configure, .start = start, .run = serve, .stop = stop, .ctx = &m,
    };
    /* clang-format on */
    return sb_worker_main(&spec, argc, argv);
}
