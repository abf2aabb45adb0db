/* sb_worker_loop: the message-at-a-time consume loop and its log line. */

/* Used by sb-prompt, sb-response and sb-escalation; also the chat client
 * SECURITYBOT_CHAT chooses. */
#include "sb_worker.h"

#include <stdio.h>
#include <string.h>

#include "sb_curl.h"
#include "sb_schema.h"
#include "sb_signal.h"
#include "sb_time.h"

#define POLL_MS 100

void sb_worker_log_message(sb_log_level_t level, const rd_kafka_message_t *m, const char *msg) {
    char part[16], off[32];
    snprintf(part, sizeof(part), "%d", (int)m->partition);
    snprintf(off, sizeof(off), "%lld", (long long)m->offset);
    sb_log_kv_t kv[] = {
        {"topic", rd_kafka_topic_name(m->rkt)}, {"partition", part}, {"offset", off}};
    sb_log_kv(level, kv, 3, "%s", msg);
}

/* One message until its effect is durable (or it is skipped), then its
 * offset. -1 when shutdown interrupted the retries: the message stays
 * uncommitted and comes back. */
static int handle(const sb_worker_loop_t *w, sb_consumer_t *c, rd_kafka_message_t *m) {
    char errstr[512], line[640];
    cJSON *msg = NULL;
    long backoff = SB_WORKER_BACKOFF_MIN_MS;
    int rc = 0;
    int64_t t0 = sb_time_monotonic_us();

    if (sb_schema_parse(w->schema, m->payload ? m->payload : "", m->payload ? m->len : 0, &msg,
                        errstr, sizeof(errstr)) == -1) {
        sb_worker_log_message(w->invalid_level, m, errstr);
        goto commit;
    }
    while (w->handle(w->ctx, msg, errstr, sizeof(errstr)) == -1) {
        if (w->skip_permanent_of && sb_db_last_class(w->skip_permanent_of) == SB_DB_PERMANENT) {
            sb_worker_log_message(SB_LOG_ERROR, m, errstr);
            break;
        }
        /* after a fatal producer error no flush succeeds: the process exits */
        if (!sb_running || (w->producer && sb_producer_fatal(w->producer))) {
            snprintf(line, sizeof(line), "shutting down; the %s will be redelivered", w->what);
            sb_worker_log_message(SB_LOG_WARN, m, line);
            rc = -1;
            goto out;
        }
        backoff = sb_worker_retry_wait(w->metrics, errstr, backoff);
    }
commit:
    sb_metrics_count(w->metrics, SB_M_CONSUMED, rd_kafka_topic_name(m->rkt), 1);
    sb_metrics_observe(w->metrics, (double)(sb_time_monotonic_us() - t0) / 1e6);
    /* A failed commit only means a redelivery, which every handler absorbs. */
    if (sb_consumer_commit(c, &m, 1, sb_running ? 1 : 0, errstr, sizeof(errstr)) == -1)
        sb_log_warn("%s (the %s will be redelivered)", errstr, w->what);
out:
    cJSON_Delete(msg);
    return rc;
}

/* One tick; a failure is the next tick's to retry. */
static void tick(const sb_worker_loop_t *w) {
    char errstr[512];
    if (w->tick(w->ctx, errstr, sizeof(errstr)) == -1 && sb_running)
        sb_log_warn("%s: %s (the next one retries)", w->tick_what, errstr);
}

void sb_worker_consume(const sb_worker_loop_t *w, sb_consumer_t *c) {
    int64_t last_tick = 0;
    while (sb_running && !sb_consumer_fatal(c) &&
           !(w->producer && sb_producer_fatal(w->producer))) {
        sb_metrics_beat(w->metrics);
        rd_kafka_message_t *m = sb_consumer_poll(c, POLL_MS);
        if (m) {
            int rc = handle(w, c, m);
            rd_kafka_message_destroy(m);
            if (rc == -1)
                break;
        }
        if (w->tick && sb_running &&
            (sb_time_monotonic_us() - last_tick) / 1000 >= w->tick_every_ms) {
            tick(w);
            last_tick = sb_time_monotonic_us();
        }
    }
}

sb_chat_t *sb_worker_chat_new(const sb_chat_settings_t *s, char *errstr, size_t errstr_size) {
    sb_chat_config_t cc = {
        .slack_api_url = s->slack_api_url,
        .slack_bot_token = s->slack_bot_token,
        .console_log_path = s->console_log,
        .mattermost_url = s->mattermost_url,
        .mattermost_bot_token = s->mattermost_bot_token,
        .public_url = s->public_url,
        .mm_actions_secret = s->mm_actions_secret,
        .mm_button_ttl_s = s->mm_button_ttl_ms / 1000,
    };
    const char *platform = s->platform;
    char why[400];
    sb_chat_t *chat;
    if (!platform || (strcmp(platform, "slack") != 0 && strcmp(platform, "console") != 0 &&
                      strcmp(platform, "mattermost") != 0)) {
        snprintf(errstr, errstr_size, "SECURITYBOT_CHAT must be slack, mattermost or console");
        return NULL;
    }
    /* every call carries the bot token (Mattermost's client checks its own) */
    if (strcmp(platform, "slack") == 0 &&
        sb_curl_check_secret_url("SLACK_API_URL", s->slack_api_url, errstr, errstr_size) == -1)
        return NULL;
    if (!(chat = sb_chat_new(platform, &cc, why, sizeof(why))))
        snprintf(errstr, errstr_size, "SECURITYBOT_CHAT=%s: %s", platform, why);
    return chat;
}

#define BACKOFF_MAX_MS 5000 /* the longest wait between two retries */

long sb_worker_retry_wait(sb_metrics_t *metrics, const char *errstr, long backoff_ms) {
    sb_metrics_count(metrics, SB_M_FAILED, "retry", 1);
    sb_log_warn("%s; retrying in %ld ms", errstr, backoff_ms);
    sb_time_sleep_ms(backoff_ms);
    return backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff_ms * 2;
}
