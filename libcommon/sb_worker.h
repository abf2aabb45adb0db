/* sb_worker: the skeleton every worker's main() calls. */

/* The skeleton every worker's main() calls. A worker declares
 * its configuration, what it consumes and produces, and its handlers; the
 * skeleton does the rest in a fixed order (command line, configuration,
 * logging, Kafka check, signals, metrics, database, producer, consumer,
 * the loop; teardown in reverse) and owns the consume-handle-commit loop. */
#ifndef SB_WORKER_H
#define SB_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <librdkafka/rdkafka.h>

#include "sb_chat.h"
#include "sb_config.h"
#include "sb_db.h"
#include "sb_kafka.h"
#include "sb_log.h"
#include "sb_metrics.h"

/* A hook's answer besides 0 and -1: a configuration error (exit 2). */
#define SB_WORKER_CONFIG_ERROR (-2)

/* The chat settings every worker that talks to people reads. */
typedef struct {
    char *platform; /* SECURITYBOT_CHAT */
    char *slack_bot_token;
    char *slack_api_url;
    char *console_log;
    char *mattermost_url;
    char *mattermost_bot_token;
    char *public_url;        /* SECURITYBOT_PUBLIC_URL */
    char *mm_actions_secret; /* MATTERMOST_ACTIONS_SECRET */
    int64_t mm_button_ttl_ms;
} sb_chat_settings_t;

/* Their configuration entries; console_what says what goes to the console
 * log ("prompts", "replies"...). */
#define SB_CHAT_CONFIG_ENTRIES(s, console_what)                                                    \
    SB_CFG_STR("SECURITYBOT_CHAT", &(s)->platform, "slack",                                        \
               "chat platform: slack, mattermost or console"),                                     \
        SB_CFG_SECRET("SLACK_BOT_TOKEN", &(s)->slack_bot_token,                                    \
                      "Slack bot token (xoxb-...), required with slack"),                          \
        SB_CFG_STR("SLACK_API_URL", &(s)->slack_api_url, SB_CHAT_DEFAULT_SLACK_API_URL,            \
                   "Slack Web API base URL"),                                                      \
        SB_CFG_STR("SECURITYBOT_CONSOLE_LOG", &(s)->console_log, SB_CHAT_DEFAULT_CONSOLE_LOG,      \
                   "console platform: the log " console_what " go to"),                            \
        SB_CFG_STR("MATTERMOST_URL", &(s)->mattermost_url, NULL,                                   \
                   "Mattermost server (https://, or http:// to loopback), required with "          \
                   "mattermost"),                                                                  \
        SB_CFG_SECRET("MATTERMOST_BOT_TOKEN", &(s)->mattermost_bot_token,                          \
                      "Mattermost bot account's access token, required with mattermost"),          \
        SB_CFG_STR("SECURITYBOT_PUBLIC_URL", &(s)->public_url, NULL,                               \
                   "sb-gateway's base URL as Mattermost reaches it (buttons post to "              \
                   "<it>/mattermost/actions, code dialogs to <it>/mattermost/dialogs); required "  \
                   "by sb-prompt with mattermost; sb-response opens code dialogs with it"),        \
        SB_CFG_SECRET("MATTERMOST_ACTIONS_SECRET", &(s)->mm_actions_secret,                        \
                      "key of the MAC each Mattermost button and code dialog carries (the "        \
                      "gateway's); required by sb-prompt with mattermost; sb-response opens code " \
                      "dialogs with it"),                                                          \
        SB_CFG_DURATION("MATTERMOST_BUTTON_TTL", &(s)->mm_button_ttl_ms, "7d",                     \
                        "how long a Mattermost button is honoured after it was sent")

/* The settings the skeleton reads for a worker: the common ones, where its
 * metrics are served, the consumer group its replicas share, and its chat
 * platform. */
typedef struct {
    sb_common_config_t common;
    char *metrics_listen;
    char *group;             /* NULL for a worker that consumes nothing */
    char *instance_id;       /* static group membership; "" or NULL: dynamic */
    sb_chat_settings_t chat; /* read only with spec.chat */
} sb_worker_config_t;

/* Their configuration entries, the group's variable and default named. */
#define SB_WORKER_CONFIG_ENTRIES(c, group_var, group_default)                                      \
    SB_COMMON_CONFIG_ENTRIES(&(c)->common), SB_METRICS_CONFIG_ENTRY(&(c)->metrics_listen),         \
        SB_CFG_STR(group_var, &(c)->group, group_default,                                          \
                   "Kafka consumer group (replicas share it)"),                                    \
        SB_CFG_STR("SECURITYBOT_INSTANCE_ID", &(c)->instance_id, NULL,                             \
                   "this replica's stable name in its group (static membership: a restart "        \
                   "takes its partitions back at once); unique per replica; unset: dynamic")

/* A spec's table and its length in one go. */
#define SB_WORKER_TABLE(t) .config = (t), .nconfig = SB_CFG_COUNT(t)

/* What the skeleton made for a worker; its hooks borrow these. */
typedef struct {
    const char *name;         /* the binary's name, for logs and audit rows */
    const char *prefix;       /* SECURITYBOT_TOPIC_PREFIX */
    sb_metrics_t *metrics;    /* NULL when SECURITYBOT_METRICS_LISTEN is unset */
    sb_db_t *db;              /* with spec.db */
    sb_producer_t *producer;  /* with spec.produces */
    sb_consumer_t *consumer;  /* with spec.consumes */
    sb_chat_t *chat;          /* with spec.chat */
    char topic[SB_TOPIC_MAX]; /* prefix + spec.consumes */
} sb_worker_t;

typedef struct {
    const char *name;    /* "sb-prompt" */
    const char *summary; /* the paragraph of --help */
    const sb_cfg_entry_t *config;
    size_t nconfig;
    /* where the table put the variables the skeleton reads itself */
    const sb_worker_config_t *settings;
    int chat;                    /* nonzero: a chat client from settings->chat */
    const char *consumes;        /* SB_TOPIC_*; NULL: no consumer */
    const char *const *produces; /* SB_TOPIC_* produced to; NULL-terminated */
    int db;                      /* nonzero: connect to PostgreSQL */

    /* After the configuration is loaded, before anything connects: check
     * settings, fill ctx. -1 or SB_WORKER_CONFIG_ERROR exits 2. */
    int (*configure)(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size);
    /* Once the clients exist: hand them to ctx. -1 exits 1. */
    int (*start)(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size);
    /* The worker's own loop until shutdown; NULL: the message-at-a-time
     * loop below. -1 exits 1, SB_WORKER_CONFIG_ERROR exits 2. */
    int (*run)(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size);
    /* First in teardown (also after a failed start): frees what the
     * hooks made. */
    void (*stop)(void *ctx);
    void *ctx;

    /* The message-at-a-time loop (when run is NULL). */
    const char *schema; /* sb_schema name every message is parsed with */
    const char *what;   /* what a message is, for log lines ("prompt request") */
    /* how a message that fails the schema is logged (then committed: it
     * can never succeed) */
    sb_log_level_t invalid_level;
    /* Records msg's effect: 0 when durable, -1 with errstr to retry. */
    int (*handle)(void *ctx, const cJSON *msg, char *errstr, size_t errstr_size);
    /* Nonzero: a failure PostgreSQL classes as permanent (data it refuses,
     * a bug) is logged with the message's position and skipped, so one
     * message cannot stop its partition. Zero: always retry. */
    int skip_permanent;
    /* Called between messages every *tick_every_ms (read after the
     * configuration is loaded); NULL: none. A failure (-1 with errstr) is
     * logged as "<tick_what>: <errstr>" and left to the next tick. */
    int (*tick)(void *ctx, char *errstr, size_t errstr_size);
    const int64_t *tick_every_ms;
    const char *tick_what; /* "sweep", "timers"... */
} sb_worker_spec_t;

/* Runs the worker the spec declares; returns the exit code: 0 after a
 * clean shutdown, 1 on a failure, 2 on a usage or configuration error. */
int sb_worker_main(const sb_worker_spec_t *spec, int argc, char **argv);

/* The message-at-a-time loop on its own. */
typedef struct {
    const char *schema, *what;
    sb_log_level_t invalid_level;
    int (*handle)(void *ctx, const cJSON *msg, char *errstr, size_t errstr_size);
    sb_db_t *skip_permanent_of; /* NULL: always retry */
    int (*tick)(void *ctx, char *errstr, size_t errstr_size);
    int64_t tick_every_ms;
    const char *tick_what;
    void *ctx;
    sb_metrics_t *metrics;   /* may be NULL */
    sb_producer_t *producer; /* its fatal error ends the loop; may be NULL */
} sb_worker_loop_t;

/* Polls c (100 ms at a time, so a shutdown is seen quickly) and runs every
 * message through w until shutdown or a fatal Kafka error, handling one
 * message until PostgreSQL holds its effect and only then committing its
 * offset. A message whose retries a shutdown interrupts stays uncommitted
 * and is redelivered. Offsets are committed asynchronously while running,
 * synchronously on the way out. */
void sb_worker_consume(const sb_worker_loop_t *w, sb_consumer_t *c);

/* The first wait before a retry (ms); sb_worker_retry_wait doubles it up to 5 s. */
#define SB_WORKER_BACKOFF_MIN_MS 100

/* One retry of work that failed with errstr: counted on metrics (may be
 * NULL), logged, slept for backoff_ms; returns the next wait. */
long sb_worker_retry_wait(sb_metrics_t *metrics, const char *errstr, long backoff_ms);

/* Logs msg with the message's topic, partition and offset. */
void sb_worker_log_message(sb_log_level_t level, const rd_kafka_message_t *m, const char *msg);

/* The chat client the settings name; NULL with errstr naming the setting.
 * The caller destroys it. */
sb_chat_t *sb_worker_chat_new(const sb_chat_settings_t *s, char *errstr, size_t errstr_size);

#endif
