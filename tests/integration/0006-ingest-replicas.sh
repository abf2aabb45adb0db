#!/usr/bin/env bash
# Several sb-ingest replicas in one consumer group share the partitions and
# hand them over on every rebalance: one leaves with SIGTERM, one joins, one
# dies by SIGKILL, while alerts flow. Afterwards the counts are exact, as
# with a single replica.
. "$(dirname "$0")/lib/common.sh"
GEN_ARGS="--valid 4000 --dups 400 --invalid 100 --unknown 100 --optout 50 --suppressed 50"
. "$(dirname "$0")/lib/ingest.sh"

rows() { sql 'SELECT count(*) FROM alerts'; }
export SECURITYBOT_INGEST_BATCH_SIZE=50 SECURITYBOT_KAFKA_SESSION_TIMEOUT_MS=6000

prepare
start_ingest
first=$INGEST_PID
start_ingest
second=$INGEST_PID
wait_for "SELECT count(*) > 800 FROM alerts" t 60
log "replica $first leaves (SIGTERM) at $(rows) rows"
stop_worker "$first"
start_ingest
third=$INGEST_PID
wait_for "SELECT count(*) > $(($(rows) + 800)) FROM alerts" t 60
log "replica $second dies (SIGKILL) at $(rows) rows"
kill -9 "$second"
wait "$second" 2>/dev/null || true
check "$(($(rows) < $(expect "['rows']")))" 1 "the rebalances happened mid-stream"
wait_ingested "$(expect "['messages']")" 180
sleep 1
stop_worker "$third"
check "$(grep -h '"msg":"kafka: partitions assigned"' "$T_DIR"/ingest.*.log | wc -l | awk '{print ($1 >= 3)}')" 1 \
	"partitions were assigned at least three times"
verify 1
finish
