/* sb-gateway: its configuration and the hooks the worker skeleton calls. */

/* The decisions live in gateway.c (HTTP) and sb_payload.c (what Slack
 * sent), the producer in publisher.c. The only process reachable from outside; it has no
 * database and stays stateless. */
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
    "employees' answers (direct messages, button clicks) to <prefix>responses. GET "
    "/healthz and /readyz for probes.";

typedef struct {
    sb_worker_config_t w;
    char *listen, *signing_secret;
    char topic[SB_TOPIC_MAX]; /* <prefix>responses */
    sb_gateway_t gw;
} gateway_main_t;

static int configure(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    gateway_main_t *m = ctx;
    if (sb_kafka_topic(m->topic, sizeof(m->topic), w->prefix, SB_TOPIC_RESPONSES) == -1) {
        snprintf(errstr, errstr_size, "SECURITYBOT_TOPIC_PREFIX is too long");
        return -1;
    }
    return 0;
}

static int start(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    gateway_main_t *m = ctx;
    m->gw.signing_secret = m->signing_secret;
    m->gw.metrics = w->metrics;
    m->gw.pub = sb_publisher_new(m->w.common.kafka_brokers, m->topic, errstr, errstr_size);
    return m->gw.pub ? 0 : -1;
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
    if (sb_publisher_ready(m->gw.pub, 5000, errstr, errstr_size) == -1)
        sb_log_warn("%s (not ready yet; is the broker up, and did `sbctl topics` run?)", errstr);
    while (sb_running && !sb_publisher_fatal(m->gw.pub)) {
        sb_metrics_beat(w->metrics);
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
    sb_publisher_destroy(((gateway_main_t *)ctx)->gw.pub, SHUTDOWN_FLUSH_MS);
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
    };
    const sb_worker_spec_t spec = {
        .name = "sb-gateway", .summary = summary, SB_WORKER_TABLE(table), .settings = &m.w,
        .configure = configure, .start = start, .run = serve, .stop = stop, .ctx = &m,
    };
    /* clang-format on */
    return sb_worker_main(&spec, argc, argv);
}
