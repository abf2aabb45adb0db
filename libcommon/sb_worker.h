/* sb_worker: what the message-at-a-time workers (sb-prompt, sb-response,
 * sb-escalation) share: the consume loop that handles one message until
 * PostgreSQL holds its effect and only then commits its offset, with a
 * periodic tick beside it; the log line that names a message's position;
 * and the chat client chosen by SECURITYBOT_CHAT. */
#ifndef SB_WORKER_H
#define SB_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>

#include "sb_chat.h"
#include "sb_config.h"
#include "sb_kafka.h"
#include "sb_log.h"
#include "sb_metrics.h"

typedef struct {
    const char *schema; /* sb_schema name every message is parsed with */
    const char *what;   /* what a message is, for log lines ("prompt request") */
    /* how a message that fails the schema is logged (then committed: it can
     * never succeed) */
    sb_log_level_t invalid_level;
    /* Records msg's effect: 0 when durable, -1 with errstr to retry (after a
     * capped backoff) unless permanent says otherwise. */
    int (*handle)(void *ctx, const cJSON *msg, char *errstr, size_t errstr_size);
    /* Nonzero when the last failure cannot go away by retrying (data
     * PostgreSQL refuses, a bug): the message is logged with its position
     * and skipped, so one message cannot stop its partition. NULL: always
     * retry. */
    int (*permanent)(void *ctx);
    /* Called between messages every tick_every_ms (timers, sweeps); NULL:
     * none. */
    void (*tick)(void *ctx);
    int64_t tick_every_ms;
    void *ctx;
    sb_metrics_t *metrics;    /* may be NULL */
    sb_producer_t *producer;  /* its fatal error ends the loop; may be NULL */
} sb_worker_loop_t;

/* Polls c (100 ms at a time, so a shutdown is seen quickly) and runs every
 * message through w until shutdown or a fatal Kafka error. A message whose
 * retries a shutdown interrupts stays uncommitted and is redelivered.
 * Offsets are committed asynchronously while running, synchronously on the
 * way out. */
void sb_worker_consume(const sb_worker_loop_t *w, sb_consumer_t *c);

/* Logs msg with the message's topic, partition and offset. */
void sb_worker_log_message(sb_log_level_t level, const rd_kafka_message_t *m, const char *msg);

/* The chat settings every worker that talks to people reads. */
typedef struct {
    char *platform; /* SECURITYBOT_CHAT */
    char *slack_bot_token;
    char *slack_api_url;
    char *console_log;
} sb_chat_settings_t;

/* Their sb_config entries; console_what says what goes to the console log
 * ("prompts", "replies"...). */
#define SB_CHAT_CONFIG_ENTRIES(s, console_what)                                                    \
    {"SECURITYBOT_CHAT", SB_CFG_STRING, &(s)->platform, 0, "slack", 0, 0, 0,                       \
     "chat platform: slack or console"},                                                           \
        {"SLACK_BOT_TOKEN", SB_CFG_STRING, &(s)->slack_bot_token, 0, NULL, 1, 0, 0,                \
         "Slack bot token (xoxb-...), required with slack"},                                       \
        {"SLACK_API_URL", SB_CFG_STRING, &(s)->slack_api_url, 0, SB_CHAT_DEFAULT_SLACK_API_URL, 0, \
         0, 0, "Slack Web API base URL"},                                                          \
        {"SECURITYBOT_CONSOLE_LOG", SB_CFG_STRING, &(s)->console_log, 0,                           \
         SB_CHAT_DEFAULT_CONSOLE_LOG, 0, 0, 0, "console platform: the log " console_what " go to"}

/* The chat client the settings name; NULL with errstr naming the setting.
 * The caller destroys it. */
sb_chat_t *sb_worker_chat_new(const sb_chat_settings_t *s, char *errstr, size_t errstr_size);

#endif
