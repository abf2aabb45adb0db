/* sb_publish: a transaction's messages acknowledged by Kafka before its COMMIT. */

/* "publish these rows' messages, wait for the acknowledgements,
 * then commit" — how a stage makes a database change and the messages
 * that announce it durable together. The messages go out before COMMIT:
 * a failure in between repeats them (with the same ids, which every
 * consumer absorbs) instead of losing them. */
#ifndef SB_PUBLISH_H
#define SB_PUBLISH_H

#include <stddef.h>

#include <libpq-fe.h>

#include "sb_db.h"
#include "sb_kafka.h"

/* How long Kafka may take to acknowledge what a transaction produced. */
#define SB_PUBLISH_FLUSH_MS 5000

/* Waits for Kafka to acknowledge everything p queued (only when produced
 * is nonzero), then commits db's open transaction. 0, or -1 with errstr
 * (the caller rolls back). */
int sb_publish_commit(sb_producer_t *p, int produced, sb_db_t *db, char *errstr,
                      size_t errstr_size);

/* Queues row's message of res (with sb_producer_send). 0 or -1. */
typedef int (*sb_publish_row_fn)(void *ctx, const PGresult *res, int row, char *errstr,
                                 size_t errstr_size);

/* One transaction on db: runs sql (which claims or changes the rows, e.g.
 * FOR UPDATE SKIP LOCKED), calls each for every row it returns, then
 * sb_publish_commit. Returns the number of rows, or -1 with errstr after
 * rolling back. */
int sb_publish_rows(sb_db_t *db, sb_producer_t *p, const char *sql, int nparams,
                    const char *const *params, sb_publish_row_fn each, void *ctx, char *errstr,
                    size_t errstr_size);

#endif
