/* prompt: sb-prompt's decisions. */

/* Sb-prompt's decisions: claim an employee's next alert (one open
 * conversation per employee), send it once through the chat platform,
 * record where it went, escalate the unreachable, and sweep for work that
 * a wake-up missed. */
#ifndef SB_PROMPT_H
#define SB_PROMPT_H

#include <stddef.h>
#include <stdint.h>

#include "sb_chat.h"
#include "sb_db.h"
#include "sb_hours.h"
#include "sb_kafka.h"
#include "sb_log.h"
#include "sb_metrics.h"
#include "texts.h"

typedef struct {
    sb_db_t *db;             /* borrowed */
    sb_producer_t *producer; /* borrowed; escalation requests */
    sb_metrics_t *metrics;   /* borrowed; may be NULL */
    sb_chat_t *chat;         /* borrowed */
    const sb_texts_t *texts; /* borrowed */
    const char *worker;      /* actor in audit_log, requested_by */
    char topic_escalation_requests[SB_TOPIC_MAX];
    int64_t resend_after_ms;        /* a claim older than this without chat_ts is the sweep's */
    int sweep_limit;                /* rows per sweep step */
    const sb_hours_config_t *hours; /* borrowed; working hours and the clock */
    int max_in_flight;              /* chat calls on the wire at once (Slack) */
    int64_t coalesce_window_ms;     /* SECURITYBOT_COALESCE_WINDOW (group.c); 0: off */
} sb_prompt_t;

#define SB_PROMPT_TS_SIZE 32

/* The claim's view of time for one employee (hold.c), as SQL parameters:
 * now (the clock of sb_hours_now), ask_at (now, or the start of their next
 * working period when now is outside it), and the highest severity rank
 * that waits for working hours (-1: none). */
typedef struct {
    char now[SB_PROMPT_TS_SIZE], ask_at[SB_PROMPT_TS_SIZE], max_rank[16];
} sb_prompt_when_t;

/* An alert's severity as the rank SECURITYBOT_OFF_HOURS_MAX_SEVERITY is
 * compared with (in SQL, of the column `severity`): the claims of prompt.c
 * and batch.c hold alerts of this rank or below outside working hours. */
#define SB_PROMPT_RANK_SQL                                                                         \
    "CASE severity WHEN 'critical' THEN 3 WHEN 'high' THEN 2 WHEN 'medium' THEN 1 ELSE 0 END"

/* Fills w for employee (their zone and hours, else the defaults). 0, or
 * -1 on a database failure. */
int sb_prompt_when(sb_prompt_t *p, const char *employee, sb_prompt_when_t *w, char *errstr,
                   size_t errstr_size);

/* The same for employees[0..n) (decimal ids), whose array literal is ids,
 * with one query and one clock reading for all: fills w[0..n). 0, or -1 on
 * a database failure. */
int sb_prompt_when_many(sb_prompt_t *p, const char *ids, const char *const *employees, size_t n,
                        sb_prompt_when_t *w, char *errstr, size_t errstr_size);

/* Fills the topic names from the prefix. 0 or -1. */
int sb_prompt_init(sb_prompt_t *p, const char *prefix, char *errstr, size_t errstr_size);

/* A prompt request woke employee_id up: claims their most urgent queued
 * alert (unless they already have an open conversation) and sends it.
 * Returns 0 once PostgreSQL holds the outcome (sent and recorded, nothing
 * to do, escalated, or claimed with the send left to the sweep: the offset
 * may be committed), or -1 on a transient database failure before the
 * claim was durable (retry; do not commit). */
int sb_prompt_wake(sb_prompt_t *p, const char *employee_id, char *errstr, size_t errstr_size);

/* One sweep: sends claimed alerts that have no chat_ts after
 * resend_after_ms (a crash between claim and send, a chat failure whose
 * backoff has passed), then claims and sends the next alert of every
 * employee who has queued alerts and no open conversation. Bounded by
 * sweep_limit rows each. 0, or -1 on a database failure (logged; the next
 * sweep tries again). */
int sb_prompt_sweep(sb_prompt_t *p, char *errstr, size_t errstr_size);

/* ---- shared with batch.c (one prompt's steps, inside its transaction) ---- */

/* A log line naming the alert, the employee and why (each may be NULL). */
void sb_prompt_log(sb_log_level_t level, const char *alert_id, const char *employee,
                   const char *reason, const char *msg);

/* 1 when a chat error code means the employee cannot be reached. */
int sb_prompt_unreachable(const char *code);

/* Moves a claimed, unsent alert to escalation_requested (unknown_employee,
 * code) and queues its request on the producer (*produced = 1); no COMMIT.
 * 0 or -1. */
int sb_prompt_escalate_queue(sb_prompt_t *p, const char *alert_id, const char *code, int *produced,
                             char *errstr, size_t errstr_size);

/* Logs a chat failure that is not the employee's and delays the claim's
 * next try (1 s doubling to 5 min); no COMMIT. 0 or -1. */
int sb_prompt_backoff(sb_prompt_t *p, const char *alert_id, const char *employee,
                      const sb_chat_error_t *err, char *errstr, size_t errstr_size);

/* Stores the chat user id found by e-mail; no COMMIT. 0 or -1. */
int sb_prompt_store_chat_id(sb_prompt_t *p, const char *employee, const char *user, char *errstr,
                            size_t errstr_size);

/* sb_publish_rows' callback: queues the opted_out escalation request of
 * row i (id, employee_id, severity). */
int sb_prompt_request_escalation(void *ctx, const PGresult *res, int i, char *errstr,
                                 size_t errstr_size);

#endif
