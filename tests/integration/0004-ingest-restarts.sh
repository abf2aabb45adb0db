#!/usr/bin/env bash
# sb-ingest keeps running through a Kafka broker restart and a PostgreSQL
# restart while alerts flow: afterwards every alert is one row, every
# downstream message and dead letter is there, nothing is lost or doubled.
# Then: SIGTERM in the middle of a stream finishes the batch in flight and
# exits 0, with nothing half-done; and SIGTERM while PostgreSQL refuses
# sb-ingest exits 0 too, leaving the batch to be consumed again.
. "$(dirname "$0")/lib/common.sh"
GEN_ARGS="--valid 4000 --dups 400 --invalid 100 --unknown 100 --optout 50 --suppressed 50"
. "$(dirname "$0")/lib/ingest.sh"

stack() { env -u SECURITYBOT_DATABASE_URL -u SECURITYBOT_KAFKA_BROKERS "$SB_SOURCE_DIR/deploy/local/stack" "$@" >/dev/null; }
rows() { sql 'SELECT count(*) FROM alerts'; }

prepare --no-publish
split -n l/3 -d "$gen/alerts.bin" "$gen/part."
export SECURITYBOT_INGEST_BATCH_SIZE=50

publish_lines "$gen/part.00"
start_ingest
wait_for "SELECT count(*) > 300 FROM alerts" t 60
log "restarting the Kafka broker at $(rows) rows"
stack restart-kafka
before=$(rows)
publish_lines "$gen/part.01"
wait_for "SELECT count(*) > $before FROM alerts" t 120 # ingesting again after the restart
log "restarting PostgreSQL at $(rows) rows"
stack restart-pg
publish_lines "$gen/part.02"
wait_ingested "$(expect "['messages']")" 180
wait_for "SELECT count(*) FROM dead_letters" "$(expect "['dead_letters']")" 60
sleep 1
check "$(kill -0 "$INGEST_PID" 2>/dev/null && echo alive)" alive "sb-ingest survived both restarts"
stop_worker "$INGEST_PID"
verify 1
check "$(($(cat "$T_DIR"/ingest.*.log | grep -c '"msg":"postgres: reconnected"') >= 1))" 1 "sb-ingest reconnected to PostgreSQL"

# ---- SIGTERM mid-stream: the batch in flight completes, exit 0 ----
drop_db
T_ID="${T_ID}_t"
prepare
start_ingest
wait_for "SELECT count(*) >= 1000 FROM alerts" t 60
stop_worker "$INGEST_PID"
n=$(rows)
log "stopped at $n rows"
check "$((n < $(expect "['rows']")))" 1 "SIGTERM landed mid-stream"
check "$(sql "$UNSENT_SQL")" 0 "no batch left half-done"
check "$(grep -c '"msg":"shutting down"' "$T_DIR/ingest.1.log")" 1 "shutdown logged"
start_ingest
wait_ingested "$(expect "['messages']")" 120
wait_for "SELECT count(*) FROM dead_letters" "$(expect "['dead_letters']")" 60
stop_worker "$INGEST_PID"
verify 0

# ---- SIGTERM while PostgreSQL refuses sb-ingest: exit 0, nothing lost ----
# (its INSERT grant on this test's own alerts table is taken away, so every
# batch fails until it is given back)
drop_db
T_ID="${T_ID}_u"
prepare
ulog="$T_DIR/ingest.${#T_PIDS[@]}.log"
start_ingest
wait_for "SELECT count(*) >= 500 FROM alerts" t 60
sql "REVOKE INSERT ON alerts FROM sb_ingest"
for ((i = 0; i < 300; i++)); do
	grep -q 'retrying in' "$ulog" && break
	sleep 0.1
done
check "$(grep -c 'retrying in' "$ulog" | awk '{print ($1 > 0)}')" 1 \
	"sb-ingest retries while PostgreSQL refuses it"
stop_worker "$INGEST_PID"
check "$(grep -c 'unfinished' "$ulog" | awk '{print ($1 > 0)}')" 1 \
	"the batch left at shutdown is logged"
sql "GRANT INSERT ON alerts TO sb_ingest"
start_ingest
wait_ingested "$(expect "['messages']")" 120
wait_for "SELECT count(*) FROM dead_letters" "$(expect "['dead_letters']")" 60
stop_worker "$INGEST_PID"
verify 0
finish
