/* sb-gateway: the only process reachable from outside. Receives Slack's
 * callbacks over HTTP, verifies their signatures and publishes employees'
 * answers to securitybot.responses. The wiring; the decisions live in
 * gateway.c (HTTP) and payload.c (what Slack sent). */
#include <stdio.h>
#include <string.h>

#include "gateway.h"
#include "publisher.h"
#include "sb_cli.h"
#include "sb_config.h"
#include "sb_http.h"
#include "sb_kafka.h"
#include "sb_log.h"
#include "sb_signal.h"
#include "sb_time.h"

#define WORKER "sb-gateway"
/* At shutdown, how long what is still queued may take to reach Kafka. Every
 * request answered 200 was acknowledged already; the rest were answered
 * 503 and Slack retries them. */
#define SHUTDOWN_FLUSH_MS 2000

typedef struct {
    sb_common_config_t common;
    char *metrics_listen;
    char *listen;
    char *signing_secret;
} gateway_config_t;

/* Loads and checks the configuration and names the output topic. Errors
 * are printed naming the variable (the caller exits 2). */
static int configure(const sb_cfg_entry_t *table, size_t n, gateway_config_t *cfg, char *topic,
                     size_t topic_size) {
    char errstr[512];
    if (sb_config_load(table, n, errstr, sizeof(errstr)) == -1 ||
        sb_log_init(WORKER, cfg->common.log_level, errstr, sizeof(errstr)) == -1 ||
        sb_kafka_conf_check(cfg->common.kafka_brokers, errstr, sizeof(errstr)) == -1) {
        fprintf(stderr, "%s: %s\n", WORKER, errstr);
        return -1;
    }
    if (sb_kafka_topic(topic, topic_size, cfg->common.topic_prefix, SB_TOPIC_RESPONSES) == -1) {
        fprintf(stderr, "%s: SECURITYBOT_TOPIC_PREFIX is too long\n", WORKER);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    gateway_config_t cfg = {0};
    sb_cfg_entry_t table[] = {
        SB_COMMON_CONFIG_ENTRIES(&cfg.common),
        SB_METRICS_CONFIG_ENTRY(&cfg.metrics_listen),
        {"SECURITYBOT_HTTP_LISTEN", SB_CFG_STRING, &cfg.listen, 0, "127.0.0.1:8080", 0, 0, 0,
         "ADDRESS:PORT to serve HTTP on (numeric IPv4, or [IPv6]; port 0 picks a free one)"},
        {"SLACK_SIGNING_SECRET", SB_CFG_STRING, &cfg.signing_secret, 1, NULL, 1, 0, 0,
         "Slack app's signing secret (verifies every request)"},
    };
    size_t ntable = sizeof(table) / sizeof(table[0]);
    char errstr[512], topic[SB_TOPIC_MAX], dump[2048], port[16];
    sb_gateway_t gw = {0};
    sb_http_server_t *srv = NULL;
    int rc = 1, cli, mfailed = 0;

    /* The gateway has no database: it stays stateless. */
    table[1].required = 0;
    table[1].help = "not used by sb-gateway (it has no database)";
    cli = sb_cli_standard(argc, argv, WORKER,
                          "Serves Slack's Events API (POST /slack/events) and interactivity "
                          "(POST /slack/interactive), verifies each request's signature, and "
                          "publishes employees' answers (direct messages, button clicks) to "
                          "<prefix>responses. GET /healthz and /readyz for probes.",
                          table, ntable);
    if (cli != 0)
        return cli > 0 ? 0 : 2;

    /* configure */
    if (configure(table, ntable, &cfg, topic, sizeof(topic)) == -1) {
        sb_config_free(table, ntable);
        return 2;
    }
    sb_signal_install();
    sb_config_dump(table, ntable, dump, sizeof(dump));
    sb_log_info("starting %s %s with %s", WORKER, SB_VERSION, dump);
    gw.signing_secret = cfg.signing_secret;
    if (!(gw.metrics =
              sb_metrics_setup(WORKER, cfg.metrics_listen, &mfailed, errstr, sizeof(errstr))) &&
        mfailed)
        goto fail;

    /* create the producer */
    if (!(gw.pub = sb_publisher_new(cfg.common.kafka_brokers, topic, errstr, sizeof(errstr))))
        goto fail;

    /* serve: handlers run on the server's threads */
    srv = sb_http_start(cfg.listen, sb_gateway_routes, sb_gateway_nroutes, &gw, errstr,
                        sizeof(errstr));
    if (!srv) {
        /* a malformed address is a configuration error, a busy port is not */
        if (strncmp(errstr, "SECURITYBOT_HTTP_LISTEN:", 24) == 0)
            rc = 2;
        goto fail;
    }
    snprintf(port, sizeof(port), "%d", sb_http_port(srv));
    {
        sb_log_kv_t kv[] = {{"listen", cfg.listen}, {"port", port}, {"topic", topic}};
        sb_log_kv(SB_LOG_INFO, kv, 3, "listening");
    }
    /* look the topic up once, so the first answer does not wait for it
     * (best effort: /readyz tells when Kafka is there) */
    if (sb_publisher_ready(gw.pub, 5000, errstr, sizeof(errstr)) == -1)
        sb_log_warn("%s (not ready yet; is the broker up, and did `sbctl topics` run?)", errstr);
    while (sb_running && !sb_publisher_fatal(gw.pub)) {
        sb_metrics_beat(gw.metrics);
        sb_time_sleep_ms(100);
    }
    if (sb_publisher_fatal(gw.pub)) {
        snprintf(errstr, sizeof(errstr), "fatal Kafka producer error");
        goto fail;
    }
    rc = 0;
    sb_log_info("shutting down");
    goto out;
fail:
    sb_log_error("%s", errstr);
out:
    /* teardown: stop accepting and finish the requests in flight, then
     * flush the producer (bounded), destroy */
    sb_http_stop(srv);
    sb_publisher_destroy(gw.pub, SHUTDOWN_FLUSH_MS);
    sb_metrics_destroy(gw.metrics);
    sb_config_free(table, ntable);
    return rc;
}
