/* loop: sb-prompt's consume loop: the prompt requests of one poll handled together. */
#ifndef SB_PROMPT_LOOP_H
#define SB_PROMPT_LOOP_H

#include <stdint.h>

#include "prompt.h"
#include "sb_worker.h"

#define SB_PROMPT_BATCH_MAX 512 /* prompt requests handled together */

/* Consumes w's prompt requests a poll at a time (sb_prompt_wake_batch),
 * committing a batch's offsets once its claims are durable, and sweeps
 * every sweep_every_ms, until shutdown or a fatal Kafka error (the
 * skeleton tells them apart). Returns 0. */
int sb_prompt_run(sb_prompt_t *p, sb_worker_t *w, int64_t sweep_every_ms);

#endif
