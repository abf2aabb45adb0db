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
} sb_prompt_t;

#define SB_PROMPT_TS_SIZE 32

/* The claim's view of time for one employee (hold.c), as SQL parameters:
 * now (the clock of sb_hours_now), ask_at (now, or the start of their next
 * working period when now is outside it), and the highest severity rank
 * that waits for working hours (-1: none). */
typedef struct {
    char now[SB_PROMPT_TS_SIZE], ask_at[SB_PROMPT_TS_SIZE], max_rank[16];
} sb_prompt_when_t;

/* Fills w for employee (their zone and hours, else the defaults). 0, or
 * -1 on a database failure. */
int sb_prompt_when(sb_prompt_t *p, const char *employee, sb_prompt_when_t *w, char *errstr,
                   size_t errstr_size);

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

#endif
