/* sb-escalation: its configuration and the hooks the worker skeleton calls. */

/* The decisions live in escalate.c, deliver.c, timers.c and digest.c. */
#include <stdio.h>

#include "escalation.h"
#include "sb_report.h"
#include "sb_worker.h"

#define BATCH 100 /* rows per timer or sweep step */

/* What --help says the worker does. */
static const char summary[] =
    "Consumes escalation requests from <prefix>escalation-requests and escalates "
    "each alert once: the escalation on <prefix>escalations, a report in the "
    "security channel, a PagerDuty page for severe alerts, an outcome where none "
    "was decided. Every replica also reminds silent employees and escalates them "
    "as no_response when their time is up (in working time for alerts at or "
    "below SECURITYBOT_OFF_HOURS_MAX_SEVERITY).";

typedef struct {
    sb_worker_config_t w;
    char *security_channel, *pagerduty_key, *pagerduty_url;
    char *alert_url, *console_url;
    sb_esc_settings_t set;
    sb_hours_config_t hours;
    sb_esc_t e;
} esc_main_t;

static int configure(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    esc_main_t *m = ctx;
    sb_esc_t *e = &m->e;
    *e = (sb_esc_t){.worker = w->name,
                    .security_channel = m->security_channel,
                    .pagerduty_key = m->pagerduty_key,
                    .pagerduty_url = m->pagerduty_url,
                    .alert_url_fmt = m->alert_url,
                    .console_url = m->console_url,
                    .batch = BATCH,
                    .hours = &m->hours};
    if (sb_hours_settle(&m->hours, errstr, errstr_size) == -1)
        return SB_WORKER_CONFIG_ERROR;
    char probe[1024];
    if (m->console_url && sb_report_console_link(m->console_url, "x", probe, sizeof(probe)) == -1) {
        snprintf(errstr, errstr_size,
                 "SECURITYBOT_CONSOLE_URL must be an http:// or https:// URL without spaces, "
                 "quotes or <>|, under 1000 bytes");
        return -1;
    }
    if (sb_esc_init(e, w->prefix, errstr, errstr_size) == -1 ||
        sb_esc_settle(e, &m->set, errstr, errstr_size) == -1)
        return -1;
    if (m->pagerduty_key && (sb_curl_check_secret_url("SECURITYBOT_PAGERDUTY_URL", m->pagerduty_url,
                                                      errstr, errstr_size) == -1 ||
                             !(e->curl = sb_curl_new(errstr, errstr_size))))
        return -1;
    return 0;
}

static int start(void *ctx, sb_worker_t *w, char *errstr, size_t errstr_size) {
    sb_esc_t *e = &((esc_main_t *)ctx)->e;
    e->db = w->db, e->producer = w->producer, e->metrics = w->metrics, e->chat = w->chat;
    if (!e->security_channel)
        sb_log_warn("SECURITYBOT_SECURITY_CHANNEL is not set: escalations go to the topic only");
    return 0;
}

static void stop(void *ctx) {
    sb_curl_destroy(((esc_main_t *)ctx)->e.curl);
}

static int handle(void *ctx, const cJSON *req, char *errstr, size_t errstr_size) {
    return sb_esc_handle(&((esc_main_t *)ctx)->e, req, errstr, errstr_size);
}

static int tick(void *ctx, char *errstr, size_t errstr_size) {
    return sb_esc_tick(&((esc_main_t *)ctx)->e, errstr, errstr_size);
}

#define PER_SEVERITY(var, target, what)                                                            \
    SB_CFG_DURATION(var, target, NULL, what " for this severity (unset: the general one)")

int main(int argc, char **argv) {
    esc_main_t m = {0};
    /* one entry a line: a table that reads on its own */
    /* clang-format off */
    const sb_cfg_entry_t table[] = {
        SB_WORKER_CONFIG_ENTRIES(&m.w, "SECURITYBOT_ESCALATION_GROUP", "securitybot-escalation"),
        SB_CFG_STR("SECURITYBOT_SECURITY_CHANNEL", &m.security_channel, NULL, "the security team's channel for escalation reports (a Slack or Mattermost channel id); unset: none"),
        SB_CFG_SECRET("SECURITYBOT_PAGERDUTY_ROUTING_KEY", &m.pagerduty_key, "PagerDuty Events API v2 routing key; unset: no pages"),
        SB_CFG_STR("SECURITYBOT_PAGERDUTY_URL", &m.pagerduty_url, "https://events.pagerduty.com/v2/enqueue", "PagerDuty Events API v2 URL"),
        SB_CFG_STR("SECURITYBOT_PAGE_SEVERITY", &m.set.page_severity, "high", "page for alerts of this severity and above"),
        SB_CFG_DURATION("SECURITYBOT_REMIND_AFTER", &m.set.remind_ms, "30m", "remind a silent employee after this long (0: never)"),
        SB_CFG_DURATION("SECURITYBOT_ESCALATE_AFTER", &m.set.escalate_ms, "2h", "escalate a silent employee (no_response) after this long"),
        PER_SEVERITY("SECURITYBOT_REMIND_AFTER_LOW", &m.set.remind_sev[0], "remind after"),
        PER_SEVERITY("SECURITYBOT_REMIND_AFTER_MEDIUM", &m.set.remind_sev[1], "remind after"),
        PER_SEVERITY("SECURITYBOT_REMIND_AFTER_HIGH", &m.set.remind_sev[2], "remind after"),
        PER_SEVERITY("SECURITYBOT_REMIND_AFTER_CRITICAL", &m.set.remind_sev[3], "remind after"),
        PER_SEVERITY("SECURITYBOT_ESCALATE_AFTER_LOW", &m.set.escalate_sev[0], "escalate after"),
        PER_SEVERITY("SECURITYBOT_ESCALATE_AFTER_MEDIUM", &m.set.escalate_sev[1], "escalate after"),
        PER_SEVERITY("SECURITYBOT_ESCALATE_AFTER_HIGH", &m.set.escalate_sev[2], "escalate after"),
        PER_SEVERITY("SECURITYBOT_ESCALATE_AFTER_CRITICAL", &m.set.escalate_sev[3], "escalate after"),
        SB_CFG_DURATION("SECURITYBOT_TIMER_EVERY", &m.set.tick_ms, "1s", "how often each replica scans for due reminders, escalations and deliveries"),
        SB_CFG_DURATION_OR_OFF("SECURITYBOT_DIGEST_EVERY", &m.set.digest_ms, "24h", "post the report of each such period (aligned on UTC) to the security channel; 0 or set but empty: off"),
        SB_CFG_STR("SECURITYBOT_ALERT_URL", &m.alert_url, NULL, "link to an alert in reports, %s replaced by its id (unset: the alert's own url)"),
        SB_CFG_STR("SECURITYBOT_CONSOLE_URL", &m.console_url, NULL, "sb-console's base URL (e.g. https://console.example.com): each escalation report and the digest's flagged alerts link to the alert's page there"),
        SB_HOURS_CONFIG_ENTRIES(&m.hours),
        SB_CHAT_CONFIG_ENTRIES(&m.w.chat, "reports and reminders"),
    };
    static const char *const produces[] = {SB_TOPIC_ESCALATIONS, SB_TOPIC_OUTCOMES,
                                           SB_TOPIC_ESCALATION_REQUESTS, NULL};
    /* an invalid request is logged as an error: only our own stages write this topic */
    const sb_worker_spec_t spec = {
        .name = "sb-escalation", .summary = summary, SB_WORKER_TABLE(table), .settings = &m.w,
        .chat = 1, .db = 1, .consumes = SB_TOPIC_ESCALATION_REQUESTS, .produces = produces,
        .configure = configure, .start = start, .stop = stop, .ctx = &m,
        .schema = "escalation-request", .what = "request", .invalid_level = SB_LOG_ERROR,
        .handle = handle, .skip_permanent = 1, .tick = tick, .tick_what = "timers", .tick_every_ms = &m.set.tick_ms,
    };
    /* clang-format on */
    return sb_worker_main(&spec, argc, argv);
}
