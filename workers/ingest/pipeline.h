/* pipeline: sb-ingest's consume loop (see pipeline.c). */
#ifndef SB_INGEST_PIPELINE_H
#define SB_INGEST_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "ingest.h"
#include "sb_kafka.h"

/* Consumes c until shutdown or a fatal error, in batches of up to max
 * alerts (buf holds max pointers) that wait up to fill_ms to fill once
 * their first alert arrived. Each batch's offsets are committed only after
 * its effects are durable; what is in flight at shutdown is finished.
 * 0, or -1 when it cannot go on (out of memory, or a batch could not be
 * finished). */
int sb_ingest_consume(sb_ingest_t *ing, sb_consumer_t *c, rd_kafka_message_t **buf, size_t max,
                      int64_t fill_ms);

#endif
