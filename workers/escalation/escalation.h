/* escalation: sb-escalation's decisions. */

/* Sb-escalation's decisions: an escalation request becomes at
 * most one escalation (the escalations primary key), published on
 * <prefix>escalations with the alert and the employee's answer; the report
 * to the security channel and the PagerDuty page go out after COMMIT and
 * are marked, retried by a sweep until delivered; and the timers that
 * remind silent employees and escalate them as no_response. */
#ifndef SB_ESCALATION_H
#define SB_ESCALATION_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "sb_chat.h"
#include "sb_curl.h"
#include "sb_db.h"
#include "sb_hours.h"
#include "sb_kafka.h"
#include "sb_metrics.h"
#include "sb_severity.h"

typedef struct {
    sb_db_t *db;             /* borrowed */
    sb_producer_t *producer; /* borrowed */
    sb_metrics_t *metrics;   /* borrowed; may be NULL */
    sb_chat_t *chat;         /* borrowed */
    sb_curl_t *curl;         /* borrowed; NULL without PagerDuty */
    const char *worker;
    const char *security_channel; /* NULL: no chat report */
    const char *pagerduty_url;    /* the Events API v2 enqueue URL */
    const char *pagerduty_key;    /* NULL: no pages; secret */
    int page_rank;                /* pages for severities ranked >= this (0 low .. 3 critical) */
    /* per severity rank, in ms; remind 0: never */
    int64_t remind_after_ms[SB_SEVERITY_COUNT];
    int64_t escalate_after_ms[SB_SEVERITY_COUNT];
    int batch;                      /* rows per timer or sweep step */
    const sb_hours_config_t *hours; /* borrowed; working hours and the timers' clock */
    const char *alert_url_fmt;      /* "%s" replaced by the alert id in reports, or NULL */
    const char *console_url; /* sb-console's base URL: reports link to the alert's page; or NULL */
    int64_t digest_every_ms; /* 0: no digest */
    int64_t digest_done_us;  /* end of the last period known to be posted */
    char topic_escalations[SB_TOPIC_MAX];
    char topic_escalation_requests[SB_TOPIC_MAX];
    char topic_outcomes[SB_TOPIC_MAX];
} sb_esc_t;

/* The timer and paging settings, as configured. */
typedef struct {
    int64_t remind_ms, escalate_ms; /* the general timers; remind 0: never */
    /* per severity rank; 0: the general one */
    int64_t remind_sev[SB_SEVERITY_COUNT], escalate_sev[SB_SEVERITY_COUNT];
    char *page_severity; /* pages for this severity and above */
    int64_t tick_ms;     /* how often the timers run */
    int64_t digest_ms;   /* the digest's period; 0: off */
} sb_esc_settings_t;

/* Checks s and applies it to e (timers per severity, page threshold,
 * digest period). 0, or -1 with errstr naming the variable. */
int sb_esc_settle(sb_esc_t *e, const sb_esc_settings_t *s, char *errstr, size_t errstr_size);

/* One tick: the timers, the delivery sweep and the digest, each failure
 * logged and left for the next tick. -1 (errstr) only when the database
 * is away. */
int sb_esc_tick(sb_esc_t *e, char *errstr, size_t errstr_size);

/* Fills the topic names from the prefix. 0 or -1. */
int sb_esc_init(sb_esc_t *e, const char *prefix, char *errstr, size_t errstr_size);

/* Applies one escalation-request.v1 (validated): records the escalation
 * once, moves the alert to escalated, publishes the escalation (and the
 * outcome when nobody decided one yet: unknown_employee, opted_out,
 * no_response), commits, then delivers. 0 when done (or a duplicate), -1
 * on a database or Kafka failure (nothing committed; retry). */
int sb_esc_handle(sb_esc_t *e, const cJSON *request, char *errstr, size_t errstr_size);

/* Delivers what one escalation still owes (security channel report, page)
 * under its row lock, marking each part done; a failure schedules a retry.
 * 0 (whatever the chat or PagerDuty said), -1 on a database failure. */
int sb_esc_deliver(sb_esc_t *e, const char *alert_id, char *errstr, size_t errstr_size);

/* The sweep: delivers escalations left undelivered (a crash, a failure
 * whose retry time has come). 0 or -1. */
int sb_esc_sweep(sb_esc_t *e, char *errstr, size_t errstr_size);

/* The timers, one step each: reminds employees whose open conversation is
 * older than remind_after (once), and escalates those older than
 * escalate_after as no_response. Rows are claimed FOR UPDATE SKIP LOCKED,
 * so replicas share the work and never repeat it. Return the rows handled,
 * or -1 on a database or Kafka failure. */
int sb_esc_remind(sb_esc_t *e, char *errstr, size_t errstr_size);
/* Before them, sb_esc_plan gives each open conversation of an alert at or
 * below SECURITYBOT_OFF_HOURS_MAX_SEVERITY its reminder and escalation
 * times in working time (the employee's zone and hours), once; the two
 * timers then act on those. The rows planned, or -1. */
int sb_esc_plan(sb_esc_t *e, char *errstr, size_t errstr_size);
int sb_esc_expire(sb_esc_t *e, char *errstr, size_t errstr_size);

/* The scheduled digest: posts the report of the period that just ended
 * when no replica did yet. 0 (posted, or nothing to do), -1 on a database
 * or chat failure (the next tick tries again). */
int sb_esc_digest(sb_esc_t *e, char *errstr, size_t errstr_size);

/* Seals the audit rows committed since the last seal into the audit log's
 * hash chain (schemas/sql/0011_audit_chain.sql): one replica at a time,
 * the others skip. The rows sealed, or -1 (the next tick tries again). */
long sb_esc_seal(sb_esc_t *e, char *errstr, size_t errstr_size);

#endif
