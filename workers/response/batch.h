/* batch: sb-response's consume loop: the answers of one poll in one transaction. */

/* The answers of one poll in one PostgreSQL transaction per lane (a
 * share of the poll's partitions), in the order polled (so each
 * partition's, each employee's, in order), their senders read at once;
 * run without savepoints first, and again each behind its own savepoint
 * when one fails; the escalation requests acknowledged by Kafka before
 * COMMIT, the outcomes, replies and wake-ups after it, the offsets last. */
#ifndef SB_RESPONSE_BATCH_H
#define SB_RESPONSE_BATCH_H

#include <stdint.h>

#include "response.h"
#include "sb_worker.h"

#define SB_RESPONSE_BATCH_LIMIT 1024 /* the largest SECURITYBOT_RESPONSE_BATCH_MAX */

typedef struct {
    int batch_max;            /* SECURITYBOT_RESPONSE_BATCH_MAX: answers polled at once */
    int lanes;                /* SECURITYBOT_RESPONSE_LANES: transactions at once */
    const char *database_url; /* the lanes' own connections */
    int64_t sweep_every_ms;   /* between outcome sweeps */
} sb_response_batching_t;

/* Consumes w's response events, up to batch_max (1 to
 * SB_RESPONSE_BATCH_LIMIT) at once, their partitions dealt over `lanes`
 * connections that each run one transaction over their share at the same
 * time, and sweeps due outcomes every sweep_every_ms, until shutdown or a
 * fatal Kafka error (the skeleton tells them apart). 0, or -1 when the
 * lanes' memory or connections cannot be had. */
int sb_response_run(sb_response_t *r, sb_worker_t *w, const sb_response_batching_t *b);

#endif
