#!/usr/bin/env bash
# Several sb-ingest replicas in one consumer group share the partitions and
# hand them over on every rebalance: one leaves with SIGTERM, one joins, one
# dies by SIGKILL, two more join and leave, while alerts keep arriving (published in three parts, so
# each change lands mid-stream whatever the machine's speed). Afterwards the
# counts are exact, as with a single replica.
. "$(dirname "$0")/lib/common.sh"
GEN_ARGS="--valid 4000 --dups 400 --invalid 100 --unknown 100 --optout 50 --suppressed 50"
. "$(dirname "$0")/lib/ingest.sh"

rows() { sql 'SELECT count(*) FROM alerts'; }
export SECURITYBOT_INGEST_BATCH_SIZE=50 SECURITYBOT_KAFKA_SESSION_TIMEOUT_MS=6000

prepare --no-publish
split -n l/3 -d "$gen/alerts.bin" "$gen/part."
publish_lines "$gen/part.00"
start_ingest
first=$INGEST_PID
start_ingest
second=$INGEST_PID
wait_for "SELECT count(*) > 500 FROM alerts" t 60
log "replica $first leaves (SIGTERM) at $(rows) rows"
stop_worker "$first"

publish_lines "$gen/part.01"
start_ingest
third=$INGEST_PID
third_log=$T_DIR/ingest.$((${#T_PIDS[@]} - 1)).log
sb_wait_assigned "$third_log" 60 "$third" || true # checked just below
check "$(grep -c '"msg":"kafka: partitions assigned"' "$third_log" | awk '{print ($1 > 0)}')" 1 \
	"the joining replica was given partitions"
log "replica $second dies (SIGKILL) at $(rows) rows"
kill -9 "$second"
wait "$second" 2>/dev/null || true

publish_lines "$gen/part.02"
# more rebalances while the last part is consumed: a replica joins and
# leaves twice (each join and each leave moves every partition)
for round in 1 2; do
	start_ingest
	extra=$INGEST_PID
	extra_log=$T_DIR/ingest.$((${#T_PIDS[@]} - 1)).log
	sb_wait_assigned "$extra_log" 60 "$extra" || true
	log "round $round: replica $extra joined at $(rows) rows; it leaves"
	stop_worker "$extra"
done
wait_ingested "$(expect "['messages']")" 180
sleep 1
stop_worker "$third"
check "$(grep -h '"msg":"kafka: partitions assigned"' "$T_DIR"/ingest.*.log | wc -l | awk '{print ($1 >= 3)}')" 1 \
	"partitions were assigned at least three times"
verify 1
finish
