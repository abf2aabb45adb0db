/* batch: the prompts of one poll together: claimed at once, sent concurrently, recorded at once. */
#ifndef SB_PROMPT_BATCH_H
#define SB_PROMPT_BATCH_H

#include <stddef.h>

#include "prompt.h"

/* The statements a batch runs, which prompt.c runs for one employee (an
 * array of one): the claim ($1 employee ids, $2 actor, $3 the highest
 * rank held outside working hours, $4 now, $5 each employee's ask_at)
 * and the escalation of opted-out employees' alerts ($1, $2). */
extern const char *const sb_prompt_claim_sql;
extern const char *const sb_prompt_opted_out_sql;

/* Prompt requests woke employees[0..n) (decimal ids; repeats are fine):
 * claims the most urgent queued alert of each who has no open
 * conversation, in one transaction, then sends them all (sb_prompt_deliver).
 * 0 once the claims are durable (the offsets may be committed; a failed
 * send is the sweep's), -1 on a transient database failure before that. */
int sb_prompt_wake_batch(sb_prompt_t *p, const char *const *employees, size_t n, char *errstr,
                         size_t errstr_size);

/* Sends the claimed alerts ids[0..n) that are still unsent and that no
 * other send holds, at most p->max_in_flight chat calls at once, and
 * records every outcome (sent, escalated as unreachable, or kept with a
 * retry delay) in one transaction that holds their row locks throughout.
 * 0, or -1 with errstr (rolled back: the sweep comes back to them). */
int sb_prompt_deliver(sb_prompt_t *p, const char *const *ids, size_t n, char *errstr,
                      size_t errstr_size);

#endif
