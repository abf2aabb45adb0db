/* record: a batch's inputs, validated, and the one statement that records them. */
#ifndef SB_INGEST_RECORD_H
#define SB_INGEST_RECORD_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>
#include <libpq-fe.h>

#include "ingest.h"
#include "sb_crypto.h"
#include "sb_schema.h"

#define SB_INGEST_DETAIL_MAX 256

/* One input of a batch: the validated alert and its id, or why it was refused. */
typedef struct {
    const rd_kafka_message_t *m; /* borrowed from the caller */
    sb_alert_t alert;
    sb_reject_t reject;
    char detail[SB_INGEST_DETAIL_MAX];
    char id[SB_SHA256_HEX_LEN + 1];
} sb_ingest_item_t;

/* Validates it->m: fills the alert and its id, or the reason and detail. */
void sb_ingest_item_validate(sb_ingest_item_t *it);

/* Sends the recording statement for the items of items[from..to) whose
 * partition falls in `lane` of `nlanes` (every item when nlanes is 1) on
 * db, without waiting for the result. Sets *sent to whether a statement
 * went out (a lane may have nothing to do). 0 or -1. */
int sb_ingest_record_send(sb_ingest_t *ing, sb_db_t *db, sb_ingest_item_t *items, size_t from,
                          size_t to, size_t lane, size_t nlanes, int *sent, char *errstr,
                          size_t errstr_size);

/* Records items[from..to) on the first connection and waits. The result
 * (empty when there was nothing to record), or NULL. */
PGresult *sb_ingest_record(sb_ingest_t *ing, sb_ingest_item_t *items, size_t from, size_t to,
                           char *errstr, size_t errstr_size);

/* Records the items of items[0..n) in `lane` (as sb_ingest_send splits a
 * batch) on that lane's connection and waits. Result as sb_ingest_record. */
PGresult *sb_ingest_record_lane(sb_ingest_t *ing, size_t lane, sb_ingest_item_t *items, size_t n,
                                char *errstr, size_t errstr_size);

/* After a permanent error for the whole batch: records the alerts one by
 * one and turns each the database refuses alone into a dead letter. 0, or
 * -1 on a transient failure. */
int sb_ingest_record_one_by_one(sb_ingest_t *ing, sb_ingest_item_t *items, size_t n, char *errstr,
                                size_t errstr_size);

#endif
