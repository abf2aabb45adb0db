/* sb-escalation: consumes securitybot.escalation-requests and escalates:
 * one escalation per alert on securitybot.escalations, a report in the
 * security team's channel, a PagerDuty page for severe alerts; and runs the
 * timers (reminders, no_response). The wiring and the loop; the decisions
 * live in escalate.c, deliver.c and timers.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "escalation.h"
#include "sb_chat.h"
#include "sb_cli.h"
#include "sb_config.h"
#include "sb_db.h"
#include "sb_kafka.h"
#include "sb_log.h"
#include "sb_signal.h"
#include "sb_time.h"
#include "sb_worker.h"

#define WORKER "sb-escalation"
#define BATCH  100
#define BATCHES_A_TICK                                                                             \
    10 /* a backlog is worked off 1,000 rows a tick, the consumer not starved                      \
        */

typedef struct {
    sb_common_config_t common;
    char *metrics_listen;
    char *group;
    char *security_channel;
    char *pagerduty_key;
    char *pagerduty_url;
    char *page_severity;
    int64_t remind_ms, escalate_ms;
    int64_t remind_sev[SB_ESC_SEVERITIES], escalate_sev[SB_ESC_SEVERITIES];
    int64_t tick_ms;
    int64_t digest_ms;
    char *alert_url;
    sb_chat_settings_t chat;
} esc_config_t;

static int handle_request(void *ctx, const cJSON *req, char *errstr, size_t errstr_size) {
    return sb_esc_handle(ctx, req, errstr, errstr_size);
}

static int permanent(void *ctx) {
    return sb_db_last_class(((sb_esc_t *)ctx)->db) == SB_DB_PERMANENT;
}

/* One tick of the timers and the delivery sweep. */
static void tick(void *ctx) {
    sb_esc_t *e = ctx;
    char errstr[512];
    int n = 0;
    if (sb_db_ensure(e->db, errstr, sizeof(errstr)) == -1)
        return;
    for (int i = 0; i < BATCHES_A_TICK && sb_running; i++)
        if ((n = sb_esc_remind(e, errstr, sizeof(errstr))) < BATCH)
            break;
    if (n == -1)
        sb_log_warn("reminders: %s (next tick retries)", errstr);
    for (int i = 0; i < BATCHES_A_TICK && sb_running; i++)
        if ((n = sb_esc_expire(e, errstr, sizeof(errstr))) < BATCH)
            break;
    if (n == -1)
        sb_log_warn("no_response: %s (next tick retries)", errstr);
    if (sb_running && sb_esc_sweep(e, errstr, sizeof(errstr)) == -1)
        sb_log_warn("delivery sweep: %s (next tick retries)", errstr);
    if (sb_running && sb_esc_digest(e, errstr, sizeof(errstr)) == -1)
        sb_log_warn("digest: %s (next tick retries)", errstr);
}

/* The timers per severity (a per-severity value wins over the general
 * one) and the page threshold. 0 or -1. */
static int settle(sb_esc_t *e, const esc_config_t *cfg, char *errstr, size_t errstr_size) {
    for (int i = 0; i < SB_ESC_SEVERITIES; i++) {
        e->remind_after_ms[i] = cfg->remind_sev[i] ? cfg->remind_sev[i] : cfg->remind_ms;
        e->escalate_after_ms[i] = cfg->escalate_sev[i] ? cfg->escalate_sev[i] : cfg->escalate_ms;
        if (e->escalate_after_ms[i] <= 0) {
            snprintf(errstr, errstr_size, "SECURITYBOT_ESCALATE_AFTER must be more than 0");
            return -1;
        }
        if (e->remind_after_ms[i] >= e->escalate_after_ms[i])
            e->remind_after_ms[i] = 0; /* the escalation comes first: no reminder */
    }
    if ((e->page_rank = sb_esc_severity_rank(cfg->page_severity)) < 0) {
        snprintf(errstr, errstr_size,
                 "SECURITYBOT_PAGE_SEVERITY must be low, medium, high or critical");
        return -1;
    }
    if (cfg->digest_ms != 0 && cfg->digest_ms < 60000) {
        snprintf(errstr, errstr_size, "SECURITYBOT_DIGEST_EVERY must be 0 (off) or at least 1m");
        return -1;
    }
    if (cfg->tick_ms < 100 || cfg->tick_ms > 60000) {
        snprintf(errstr, errstr_size, "SECURITYBOT_TIMER_EVERY must be between 100ms and 1m");
        return -1;
    }
    return 0;
}

#define SEV_ENTRY(var, target, what)                                                               \
    {                                                                                              \
        var, SB_CFG_DURATION, target, 0, NULL, 0, 0, 0,                                            \
            what " for this severity (unset: the general one)"                                     \
    }

int main(int argc, char **argv) {
    esc_config_t cfg = {0};
    sb_cfg_entry_t table[] = {
        SB_COMMON_CONFIG_ENTRIES(&cfg.common),
        SB_METRICS_CONFIG_ENTRY(&cfg.metrics_listen),
        {"SECURITYBOT_ESCALATION_GROUP", SB_CFG_STRING, &cfg.group, 0, "securitybot-escalation", 0,
         0, 0, "Kafka consumer group (replicas share it)"},
        {"SECURITYBOT_SECURITY_CHANNEL", SB_CFG_STRING, &cfg.security_channel, 0, NULL, 0, 0, 0,
         "the security team's channel for escalation reports (Slack channel id); unset: none"},
        {"SECURITYBOT_PAGERDUTY_ROUTING_KEY", SB_CFG_STRING, &cfg.pagerduty_key, 0, NULL, 1, 0, 0,
         "PagerDuty Events API v2 routing key; unset: no pages"},
        {"SECURITYBOT_PAGERDUTY_URL", SB_CFG_STRING, &cfg.pagerduty_url, 0,
         "https://events.pagerduty.com/v2/enqueue", 0, 0, 0, "PagerDuty Events API v2 URL"},
        {"SECURITYBOT_PAGE_SEVERITY", SB_CFG_STRING, &cfg.page_severity, 0, "high", 0, 0, 0,
         "page for alerts of this severity and above"},
        {"SECURITYBOT_REMIND_AFTER", SB_CFG_DURATION, &cfg.remind_ms, 0, "30m", 0, 0, 0,
         "remind a silent employee after this long (0: never)"},
        {"SECURITYBOT_ESCALATE_AFTER", SB_CFG_DURATION, &cfg.escalate_ms, 0, "2h", 0, 0, 0,
         "escalate a silent employee (no_response) after this long"},
        SEV_ENTRY("SECURITYBOT_REMIND_AFTER_LOW", &cfg.remind_sev[0], "remind after"),
        SEV_ENTRY("SECURITYBOT_REMIND_AFTER_MEDIUM", &cfg.remind_sev[1], "remind after"),
        SEV_ENTRY("SECURITYBOT_REMIND_AFTER_HIGH", &cfg.remind_sev[2], "remind after"),
        SEV_ENTRY("SECURITYBOT_REMIND_AFTER_CRITICAL", &cfg.remind_sev[3], "remind after"),
        SEV_ENTRY("SECURITYBOT_ESCALATE_AFTER_LOW", &cfg.escalate_sev[0], "escalate after"),
        SEV_ENTRY("SECURITYBOT_ESCALATE_AFTER_MEDIUM", &cfg.escalate_sev[1], "escalate after"),
        SEV_ENTRY("SECURITYBOT_ESCALATE_AFTER_HIGH", &cfg.escalate_sev[2], "escalate after"),
        SEV_ENTRY("SECURITYBOT_ESCALATE_AFTER_CRITICAL", &cfg.escalate_sev[3], "escalate after"),
        {"SECURITYBOT_TIMER_EVERY", SB_CFG_DURATION, &cfg.tick_ms, 0, "1s", 0, 0, 0,
         "how often each replica scans for due reminders, escalations and deliveries"},
        {"SECURITYBOT_DIGEST_EVERY", SB_CFG_DURATION, &cfg.digest_ms, 0, "24h", 0, 0, 0,
         "post the report of each such period (aligned on UTC) to the security channel; "
         "0 or set but empty: off"},
        {"SECURITYBOT_ALERT_URL", SB_CFG_STRING, &cfg.alert_url, 0, NULL, 0, 0, 0,
         "link to an alert in reports, %s replaced by its id (unset: the alert's own url)"},
        SB_CHAT_CONFIG_ENTRIES(&cfg.chat, "reports and reminders"),
    };
    size_t ntable = sizeof(table) / sizeof(table[0]);
    char errstr[512], topic[SB_TOPIC_MAX], dump[4096];
    sb_esc_t e = {0};
    sb_chat_t *chat = NULL;
    sb_consumer_t *consumer = NULL;
    sb_metrics_t *metrics = NULL;
    int mfailed = 0;
    int rc = 1, cli;

    cli = sb_cli_standard(argc, argv, WORKER,
                          "Consumes escalation requests from <prefix>escalation-requests and "
                          "escalates each alert once: the escalation on <prefix>escalations, a "
                          "report in the security channel, a PagerDuty page for severe alerts, "
                          "an outcome where none was decided. Every replica also reminds silent "
                          "employees and escalates them as no_response when their time is up.",
                          table, ntable);
    if (cli != 0)
        return cli > 0 ? 0 : 2;

    if (sb_config_load(table, ntable, errstr, sizeof(errstr)) == -1 ||
        sb_log_init(WORKER, cfg.common.log_level, errstr, sizeof(errstr)) == -1 ||
        sb_kafka_conf_check(cfg.common.kafka_brokers, errstr, sizeof(errstr)) == -1 ||
        sb_kafka_topic(topic, sizeof(topic), cfg.common.topic_prefix,
                       SB_TOPIC_ESCALATION_REQUESTS) == -1 ||
        sb_esc_init(&e, cfg.common.topic_prefix, errstr, sizeof(errstr)) == -1 ||
        settle(&e, &cfg, errstr, sizeof(errstr)) == -1 ||
        !(chat = sb_worker_chat_new(&cfg.chat, errstr, sizeof(errstr))) ||
        (cfg.pagerduty_key && !(e.curl = sb_curl_new(errstr, sizeof(errstr))))) {
        fprintf(stderr, "%s: %s\n", WORKER, errstr);
        sb_chat_destroy(chat);
        sb_config_free(table, ntable);
        return 2;
    }
    sb_signal_install();
    sb_config_dump(table, ntable, dump, sizeof(dump));
    sb_log_info("starting %s %s with %s", WORKER, SB_VERSION, dump);
    if (!(metrics =
              sb_metrics_setup(WORKER, cfg.metrics_listen, &mfailed, errstr, sizeof(errstr))) &&
        mfailed)
        goto fail;
    e.metrics = metrics;
    if (!cfg.security_channel)
        sb_log_warn("SECURITYBOT_SECURITY_CHANNEL is not set: escalations go to the topic only");
    e.worker = WORKER;
    e.chat = chat;
    e.security_channel = cfg.security_channel;
    e.pagerduty_key = cfg.pagerduty_key;
    e.pagerduty_url = cfg.pagerduty_url;
    e.alert_url_fmt = cfg.alert_url;
    /* "off when empty": an empty value counts as unset elsewhere, here it
     * is an explicit "no digest" */
    e.digest_every_ms = getenv("SECURITYBOT_DIGEST_EVERY") && !*getenv("SECURITYBOT_DIGEST_EVERY")
                            ? 0
                            : cfg.digest_ms;
    e.batch = BATCH;

    if (!(e.db = sb_db_connect_retry(cfg.common.database_url, WORKER, 0, errstr, sizeof(errstr))) ||
        !(e.producer = sb_producer_new(cfg.common.kafka_brokers, errstr, sizeof(errstr))))
        goto fail;
    {
        const char *out[] = {e.topic_escalations, e.topic_outcomes, e.topic_escalation_requests};
        sb_producer_warm(e.producer, out, 3, 5000);
        const char *topics[] = {topic};
        consumer =
            sb_consumer_new(cfg.common.kafka_brokers, cfg.group, topics, 1, errstr, sizeof(errstr));
    }
    if (!consumer)
        goto fail;
    sb_metrics_lag_source(metrics, sb_metrics_consumer_lag, consumer);

    sb_log_info("consuming %s in group %s, chat %s", topic, cfg.group, sb_chat_platform(chat));
    {
        sb_worker_loop_t loop = {
            .schema = "escalation-request",
            .what = "request",
            .invalid_level = SB_LOG_ERROR, /* only our own stages write this topic */
            .handle = handle_request,
            .permanent = permanent,
            .tick = tick,
            .tick_every_ms = cfg.tick_ms,
            .ctx = &e,
            .metrics = metrics,
            .producer = e.producer,
        };
        sb_worker_consume(&loop, consumer);
    }
    if (sb_consumer_fatal(consumer) || sb_producer_fatal(e.producer)) {
        snprintf(errstr, sizeof(errstr), "fatal Kafka client error");
        goto fail;
    }
    rc = 0;
    sb_log_info("shutting down");
    goto out;
fail:
    sb_log_error("%s", errstr);
out:
    sb_metrics_destroy(metrics); /* first: it reads the consumer */
    sb_consumer_destroy(consumer);
    sb_producer_destroy(e.producer);
    sb_db_destroy(e.db);
    sb_curl_destroy(e.curl);
    sb_chat_destroy(chat);
    sb_config_free(table, ntable);
    return rc;
}
