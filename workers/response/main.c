/* sb-response: consumes securitybot.responses and runs each alert's
 * conversation: answers, the second factor, commands. The wiring and the
 * consume loop; the decisions live in response.c, answer.c, commands.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "response.h"
#include "sb_chat.h"
#include "sb_cli.h"
#include "sb_config.h"
#include "sb_db.h"
#include "sb_kafka.h"
#include "sb_log.h"
#include "sb_signal.h"
#include "sb_time.h"
#include "sb_worker.h"

#define WORKER      "sb-response"
#define SWEEP_EVERY 1000 /* ms between outcome sweeps */
#define SWEEP_LIMIT 100

typedef struct {
    sb_common_config_t common;
    char *metrics_listen;
    char *group;
    int require_2fa;
    int64_t comment_window_ms;
    char *secret_key_file;
    sb_chat_settings_t chat;
} response_config_t;

static int handle_event(void *ctx, const cJSON *ev, char *errstr, size_t errstr_size) {
    return sb_response_handle(ctx, ev, errstr, errstr_size);
}

static int permanent(void *ctx) {
    return sb_db_last_class(((sb_response_t *)ctx)->db) == SB_DB_PERMANENT;
}

static void sweep(void *ctx) {
    char errstr[512];
    if (sb_response_sweep(ctx, errstr, sizeof(errstr)) == -1 && sb_running)
        sb_log_warn("outcome sweep: %s (the next sweep retries)", errstr);
}

/* The at-rest key, when configured. Without it nobody's code can be
 * checked: said once at startup, and to each employee who sends one. */
static int load_key(sb_response_t *r, const response_config_t *cfg, char *errstr,
                    size_t errstr_size) {
    char why[256];
    if (!cfg->secret_key_file || !*cfg->secret_key_file)
        return 0;
    if (sb_crypto_key_load(cfg->secret_key_file, r->key, why, sizeof(why)) == -1) {
        snprintf(errstr, errstr_size, "SECURITYBOT_SECRET_KEY_FILE: %s", why);
        return -1;
    }
    r->has_key = 1;
    return 0;
}

int main(int argc, char **argv) {
    response_config_t cfg = {0};
    sb_cfg_entry_t table[] = {
        SB_COMMON_CONFIG_ENTRIES(&cfg.common),
        SB_METRICS_CONFIG_ENTRY(&cfg.metrics_listen),
        {"SECURITYBOT_RESPONSE_GROUP", SB_CFG_STRING, &cfg.group, 0, "securitybot-response", 0, 0,
         0, "Kafka consumer group (replicas share it)"},
        {"SECURITYBOT_REQUIRE_2FA", SB_CFG_BOOL, &cfg.require_2fa, 0, "true", 0, 0, 0,
         "a yes from an employee without a second factor is confirmed_unverified and escalated "
         "at low priority (false: simply confirmed)"},
        {"SECURITYBOT_COMMENT_WINDOW", SB_CFG_DURATION, &cfg.comment_window_ms, 0, "2m", 0, 0, 0,
         "after a bare no, how long the employee's next message counts as their explanation"},
        {"SECURITYBOT_SECRET_KEY_FILE", SB_CFG_STRING, &cfg.secret_key_file, 0, NULL, 0, 0, 0,
         "32-byte key that opens the TOTP secrets (as for sbctl enroll); unset: codes cannot be "
         "checked"},
        SB_CHAT_CONFIG_ENTRIES(&cfg.chat, "replies"),
    };
    size_t ntable = sizeof(table) / sizeof(table[0]);
    char errstr[512], topic[SB_TOPIC_MAX], dump[2048];
    sb_response_t r = {0};
    sb_chat_t *chat = NULL;
    sb_consumer_t *consumer = NULL;
    sb_metrics_t *metrics = NULL;
    int mfailed = 0;
    int rc = 1, cli;

    cli = sb_cli_standard(argc, argv, WORKER,
                          "Consumes response events from <prefix>responses and runs each alert's "
                          "conversation in PostgreSQL: a yes asks for the employee's one-time "
                          "code, a no or three wrong codes publish an escalation request, every "
                          "decided alert gets one outcome event; answers from anyone but the "
                          "alert's employee are refused and audited.",
                          table, ntable);
    if (cli != 0)
        return cli > 0 ? 0 : 2;

    if (sb_config_load(table, ntable, errstr, sizeof(errstr)) == -1 ||
        sb_log_init(WORKER, cfg.common.log_level, errstr, sizeof(errstr)) == -1 ||
        sb_kafka_conf_check(cfg.common.kafka_brokers, errstr, sizeof(errstr)) == -1 ||
        sb_kafka_topic(topic, sizeof(topic), cfg.common.topic_prefix, SB_TOPIC_RESPONSES) == -1 ||
        sb_response_init(&r, cfg.common.topic_prefix, errstr, sizeof(errstr)) == -1 ||
        load_key(&r, &cfg, errstr, sizeof(errstr)) == -1 ||
        !(chat = sb_worker_chat_new(&cfg.chat, errstr, sizeof(errstr)))) {
        fprintf(stderr, "%s: %s\n", WORKER, errstr);
        sb_crypto_wipe(r.key, sizeof(r.key));
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
    r.metrics = metrics;
    if (!r.has_key)
        sb_log_warn("SECURITYBOT_SECRET_KEY_FILE is not set: enrolled employees' codes cannot be "
                    "checked");
    r.worker = WORKER;
    r.chat = chat;
    r.platform = cfg.chat.platform;
    r.require_2fa = cfg.require_2fa;
    r.comment_window_ms = cfg.comment_window_ms;
    r.sweep_limit = SWEEP_LIMIT;

    if (!(r.db = sb_db_connect_retry(cfg.common.database_url, WORKER, 0, errstr, sizeof(errstr))) ||
        !(r.producer = sb_producer_new(cfg.common.kafka_brokers, errstr, sizeof(errstr))))
        goto fail;
    {
        const char *out[] = {r.topic_escalation_requests, r.topic_outcomes, r.topic_prompts,
                             r.topic_alerts};
        sb_producer_warm(r.producer, out, 4, 5000);
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
            .schema = "response",
            .what = "response",
            .invalid_level = SB_LOG_WARN, /* the gateway writes only valid events */
            .handle = handle_event,
            .permanent = permanent,
            .tick = sweep,
            .tick_every_ms = SWEEP_EVERY,
            .ctx = &r,
            .metrics = metrics,
            .producer = r.producer,
        };
        sb_worker_consume(&loop, consumer);
    }
    if (sb_consumer_fatal(consumer) || sb_producer_fatal(r.producer)) {
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
    sb_producer_destroy(r.producer);
    sb_db_destroy(r.db);
    sb_chat_destroy(chat);
    sb_crypto_wipe(r.key, sizeof(r.key));
    sb_config_free(table, ntable);
    return rc;
}
