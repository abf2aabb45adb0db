/* copy: sb-ingest's fast path, a batch loaded with COPY after one query resolves its employees. */
#ifndef SB_INGEST_COPY_H
#define SB_INGEST_COPY_H

#include <stddef.h>

#include <libpq-fe.h>

#include "ingest.h"
#include "sb_buf.h"
#include "record.h"

/* A lane's batch of fewer alerts goes the statement's way: its one round
 * trip beats the resolve and the COPY's start (two) when the per-row saving
 * is small, as at a quiet 100 alerts/s, where a batch is one or two alerts
 * and every round trip is latency. */
#define SB_INGEST_COPY_MIN 32

/* Prepares the fast path for the items of items[0..n) whose partition
 * falls in `lane` of `nlanes`. It applies when the lane holds only valid
 * alerts and none of their employees has an active ignore rule or (with
 * the confirmation backoff on) a recent confirmation for the alert's rule:
 * then every alert is simply queued, or escalated for want of an employee.
 * One query on db (any free connection) resolves the employees; rows gets
 * the COPY data, deduplicated by id and in id order, and *made the rows the
 * recording statement would have returned (owned by the caller). Returns 1
 * when the lane goes the fast way, 0 when not (rows empty, *made NULL): a
 * lane with fewer than SB_INGEST_COPY_MIN alerts, a dead letter, a rule to
 * apply, any failure. */
int sb_ingest_copy_prepare(sb_ingest_t *ing, sb_db_t *db, sb_ingest_item_t *items, size_t n,
                           size_t lane, size_t nlanes, sb_buf_t *rows, PGresult **made);

/* Sends `COPY alerts FROM STDIN` with the prepared rows on db. 0 when it
 * went out (its outcome is sb_db_wait's; a refusal, say an alert recorded
 * before, means the lane must go the statement's way), -1 when it did
 * not start (nothing in flight). */
int sb_ingest_copy_send(sb_db_t *db, const sb_buf_t *rows);

#endif
