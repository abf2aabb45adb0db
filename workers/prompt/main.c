/* sb-prompt: consumes securitybot.prompts and sends each employee their
 * alerts through the chat platform, one conversation at a time. The wiring
 * and the consume loop; the decisions live in prompt.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "prompt.h"
#include "sb_chat.h"
#include "sb_cli.h"
#include "sb_config.h"
#include "sb_db.h"
#include "sb_kafka.h"
#include "sb_log.h"
#include "sb_signal.h"
#include "sb_time.h"
#include "sb_worker.h"
#include "texts.h"

#define WORKER          "sb-prompt"
#define RESEND_AFTER_MS 3000 /* a claim this old without chat_ts is the sweep's */
#define SWEEP_LIMIT     100

typedef struct {
    sb_common_config_t common;
    char *metrics_listen;
    char *group;
    int64_t sweep_every_ms;
    sb_chat_settings_t chat;
    char *messages_file;
} prompt_config_t;

/* A prompt request only wakes its employee: the alert itself is in
 * PostgreSQL already. No failure is skipped as permanent: the sweep would
 * find the employee anyway, but a wake-up that keeps failing means the
 * database is away, and waiting for it is right. */
static int wake(void *ctx, const cJSON *req, char *errstr, size_t errstr_size) {
    const char *employee = cJSON_GetObjectItemCaseSensitive(req, "employee_id")->valuestring;
    return sb_prompt_wake(ctx, employee, errstr, errstr_size);
}

static void sweep(void *ctx) {
    char errstr[512];
    if (sb_prompt_sweep(ctx, errstr, sizeof(errstr)) == -1 && sb_running)
        sb_log_warn("sweep: %s (next sweep retries)", errstr);
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
        SB_CHAT_CONFIG_ENTRIES(&cfg.chat, "prompts"),
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
        !(chat = sb_worker_chat_new(&cfg.chat, errstr, sizeof(errstr)))) {
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
    {
        /* one prompt request at a time, and a sweep every sweep_every_ms */
        sb_worker_loop_t loop = {
            .schema = "prompt",
            .what = "prompt request",
            .invalid_level = SB_LOG_WARN,
            .handle = wake,
            .tick = sweep,
            .tick_every_ms = cfg.sweep_every_ms,
            .ctx = &pr,
            .metrics = metrics,
            .producer = pr.producer,
        };
        sb_worker_consume(&loop, consumer);
    }
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
