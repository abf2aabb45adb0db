/* sb-prompt: consumes securitybot.prompts and sends each employee their
 * alerts through the chat platform, one conversation at a time. The wiring
 * and the consume loop; the decisions live in prompt.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "prompt.h"
#include "sb_chat.h"
#include "sb_cli.h"
#include "sb_config.h"
#include "sb_db.h"
#include "sb_kafka.h"
#include "sb_log.h"
#include "sb_schema.h"
#include "sb_signal.h"
#include "sb_time.h"
#include "texts.h"

#define WORKER          "sb-prompt"
#define RESEND_AFTER_MS 3000 /* a claim this old without chat_ts is the sweep's */
#define SWEEP_LIMIT     100

typedef struct {
    sb_common_config_t common;
    char *metrics_listen;
    char *group;
    int64_t sweep_every_ms;
    char *chat;
    char *slack_bot_token;
    char *slack_api_url;
    char *console_log;
    char *messages_file;
} prompt_config_t;

static void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void log_message(sb_log_level_t level, const rd_kafka_message_t *m, const char *msg) {
    char part[16], off[32];
    snprintf(part, sizeof(part), "%d", (int)m->partition);
    snprintf(off, sizeof(off), "%lld", (long long)m->offset);
    sb_log_kv_t kv[] = {
        {"topic", rd_kafka_topic_name(m->rkt)}, {"partition", part}, {"offset", off}};
    sb_log_kv(level, kv, 3, "%s", msg);
}

/* Handles one prompt request until PostgreSQL holds its outcome, backing
 * off while the database is away, then commits its offset. -1 when
 * shutdown interrupted the retries (the request stays uncommitted). */
static int handle(sb_prompt_t *p, sb_consumer_t *c, rd_kafka_message_t *m) {
    char errstr[512];
    cJSON *req = NULL;
    long backoff = 100;
    int rc = 0;
    int64_t t0 = sb_time_monotonic_us();

    if (sb_schema_parse("prompt", m->payload ? m->payload : "", m->payload ? m->len : 0, &req,
                        errstr, sizeof(errstr)) == -1) {
        /* nothing to wake up; the alert itself (if any) is in PostgreSQL */
        log_message(SB_LOG_WARN, m, errstr);
        goto commit;
    }
    const char *employee = cJSON_GetObjectItemCaseSensitive(req, "employee_id")->valuestring;
    while (sb_prompt_wake(p, employee, errstr, sizeof(errstr)) == -1) {
        if (!sb_running) {
            log_message(SB_LOG_WARN, m, "shutting down; the prompt request will be redelivered");
            rc = -1;
            goto out;
        }
        sb_metrics_count(p->metrics, SB_M_FAILED, "retry", 1);
        sb_log_warn("%s; retrying in %ld ms", errstr, backoff);
        sleep_ms(backoff);
        backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
    }
commit:
    sb_metrics_count(p->metrics, SB_M_CONSUMED, rd_kafka_topic_name(m->rkt), 1);
    sb_metrics_observe(p->metrics, (double)(sb_time_monotonic_us() - t0) / 1e6);
    /* A failed commit only means a redelivery, which finds nothing new. */
    if (sb_consumer_commit(c, &m, 1, sb_running ? 1 : 0, errstr, sizeof(errstr)) == -1)
        sb_log_warn("%s (the request will be redelivered)", errstr);
out:
    cJSON_Delete(req);
    return rc;
}

/* The loop: one prompt request at a time (100 ms polls, so the run flag
 * is seen quickly), and a sweep every sweep_every_ms. */
static void consume(sb_prompt_t *p, sb_consumer_t *c, sb_producer_t *producer,
                    int64_t sweep_every_ms) {
    int64_t last_sweep = 0;
    char errstr[512];

    while (sb_running && !sb_consumer_fatal(c) && !sb_producer_fatal(producer)) {
        sb_metrics_beat(p->metrics);
        rd_kafka_message_t *m = sb_consumer_poll(c, 100);
        if (m) {
            int rc = handle(p, c, m);
            rd_kafka_message_destroy(m);
            if (rc == -1)
                break;
        }
        int64_t now = sb_time_monotonic_us();
        if (sb_running && (now - last_sweep) / 1000 >= sweep_every_ms) {
            if (sb_prompt_sweep(p, errstr, sizeof(errstr)) == -1 && sb_running)
                sb_log_warn("sweep: %s (next sweep retries)", errstr);
            last_sweep = sb_time_monotonic_us();
        }
    }
}

/* The chat client for the configured platform; NULL with errstr. */
static sb_chat_t *chat_new(const prompt_config_t *cfg, char *errstr, size_t errstr_size) {
    sb_chat_config_t cc = {
        .slack_api_url = cfg->slack_api_url,
        .slack_bot_token = cfg->slack_bot_token,
        .console_log_path = cfg->console_log,
    };
    char why[400];
    sb_chat_t *chat;
    if (strcmp(cfg->chat, "slack") != 0 && strcmp(cfg->chat, "console") != 0) {
        snprintf(errstr, errstr_size, "SECURITYBOT_CHAT must be slack or console");
        return NULL;
    }
    if (!(chat = sb_chat_new(cfg->chat, &cc, why, sizeof(why))))
        snprintf(errstr, errstr_size, "SECURITYBOT_CHAT=%s: %s", cfg->chat, why);
    return chat;
}

int main(int argc, char **argv) {
    prompt_config_t cfg = {0};
    sb_cfg_entry_t table[] = {
        SB_COMMON_CONFIG_ENTRIES(&cfg.common),
        SB_METRICS_CONFIG_ENTRY(&cfg.metrics_listen),
        {"SECURITYBOT_PROMPT_GROUP", SB_CFG_STRING, &cfg.group, 0, "securitybot-prompt", 0, 0, 0,
         "Kafka consumer group (replicas share it)"},
        {"SECURITYBOT_PROMPT_SWEEP_EVERY", SB_CFG_DURATION, &cfg.sweep_every_ms, 0, "1s", 0, 0, 0,
         "how often to look for unsent claims and employees free for their next alert"},
        {"SECURITYBOT_CHAT", SB_CFG_STRING, &cfg.chat, 0, "slack", 0, 0, 0,
         "chat platform: slack or console"},
        {"SLACK_BOT_TOKEN", SB_CFG_STRING, &cfg.slack_bot_token, 0, NULL, 1, 0, 0,
         "Slack bot token (xoxb-...), required with slack"},
        {"SLACK_API_URL", SB_CFG_STRING, &cfg.slack_api_url, 0, SB_CHAT_DEFAULT_SLACK_API_URL, 0, 0,
         0, "Slack Web API base URL"},
        {"SECURITYBOT_CONSOLE_LOG", SB_CFG_STRING, &cfg.console_log, 0, SB_CHAT_DEFAULT_CONSOLE_LOG,
         0, 0, 0, "console platform: the log prompts go to"},
        {"SECURITYBOT_MESSAGES_FILE", SB_CFG_STRING, &cfg.messages_file, 0, NULL, 0, 0, 0,
         "message templates (JSON, e.g. deploy/messages.json); unset: built-in texts"},
    };
    size_t ntable = sizeof(table) / sizeof(table[0]);
    char errstr[512], topic[SB_TOPIC_MAX], dump[2048];
    sb_prompt_t pr = {0};
    sb_texts_t texts = {0};
    sb_chat_t *chat = NULL;
    sb_consumer_t *consumer = NULL;
    sb_metrics_t *metrics = NULL;
    int mfailed = 0;
    int rc = 1, cli;

    cli = sb_cli_standard(argc, argv, WORKER,
                          "Consumes prompt requests from <prefix>prompts and sends each employee "
                          "their alerts in chat, one conversation at a time, most severe first; "
                          "records where each prompt went in PostgreSQL. Employees the chat "
                          "platform cannot reach get an escalation request (unknown_employee).",
                          table, ntable);
    if (cli != 0)
        return cli > 0 ? 0 : 2;

    /* configure: a bad value, template file or chat setting exits 2 */
    if (sb_config_load(table, ntable, errstr, sizeof(errstr)) == -1 ||
        sb_log_init(WORKER, cfg.common.log_level, errstr, sizeof(errstr)) == -1 ||
        sb_kafka_conf_check(cfg.common.kafka_brokers, errstr, sizeof(errstr)) == -1 ||
        sb_kafka_topic(topic, sizeof(topic), cfg.common.topic_prefix, SB_TOPIC_PROMPTS) == -1 ||
        sb_prompt_init(&pr, cfg.common.topic_prefix, errstr, sizeof(errstr)) == -1 ||
        sb_texts_load(&texts, cfg.messages_file, errstr, sizeof(errstr)) == -1 ||
        !(chat = chat_new(&cfg, errstr, sizeof(errstr)))) {
        fprintf(stderr, "%s: %s\n", WORKER, errstr);
        sb_texts_free(&texts);
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
    pr.metrics = metrics;
    pr.worker = WORKER;
    pr.chat = chat;
    pr.texts = &texts;
    pr.resend_after_ms = RESEND_AFTER_MS;
    pr.sweep_limit = SWEEP_LIMIT;

    /* create the clients */
    if (!(pr.db =
              sb_db_connect_retry(cfg.common.database_url, WORKER, 0, errstr, sizeof(errstr))) ||
        !(pr.producer = sb_producer_new(cfg.common.kafka_brokers, errstr, sizeof(errstr))))
        goto fail;
    {
        const char *out[] = {pr.topic_escalation_requests};
        sb_producer_warm(pr.producer, out, 1, 5000);
        const char *topics[] = {topic};
        consumer =
            sb_consumer_new(cfg.common.kafka_brokers, cfg.group, topics, 1, errstr, sizeof(errstr));
    }
    if (!consumer)
        goto fail;
    sb_metrics_lag_source(metrics, sb_metrics_consumer_lag, consumer);

    /* loop: wake-ups from Kafka, sweeps from the clock */
    sb_log_info("consuming %s in group %s, chat %s", topic, cfg.group, sb_chat_platform(chat));
    consume(&pr, consumer, pr.producer, cfg.sweep_every_ms);
    if (sb_consumer_fatal(consumer) || sb_producer_fatal(pr.producer)) {
        snprintf(errstr, sizeof(errstr), "fatal Kafka client error");
        goto fail;
    }
    rc = 0;
    sb_log_info("shutting down");
    goto out;
fail:
    sb_log_error("%s", errstr);
out:
    /* teardown: consumer close, producer flush, destroy, PQfinish */
    sb_metrics_destroy(metrics); /* first: it reads the consumer */
    sb_consumer_destroy(consumer);
    sb_producer_destroy(pr.producer);
    sb_db_destroy(pr.db);
    sb_chat_destroy(chat);
    sb_texts_free(&texts);
    sb_config_free(table, ntable);
    return rc;
}
