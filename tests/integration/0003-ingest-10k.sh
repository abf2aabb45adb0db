#!/usr/bin/env bash
# 10,000 alerts (1,000 duplicates, 200 invalid of varied kinds) through one
# sb-ingest on the real stack: every distinct valid alert is exactly one row
# with the id the contract defines, one downstream message each, and every
# invalid one a dead letter with the right reason. Then the same stream
# again, with sb-ingest killed by SIGKILL twice mid-way: the same counts.
. "$(dirname "$0")/lib/common.sh"

. "$(dirname "$0")/lib/ingest.sh"

# ---- run 1: no faults ----
prepare
start_ingest
wait_ingested "$(expect "['messages']")" 180
wait_for "SELECT count(*) FROM dead_letters" "$(expect "['dead_letters']")" 60
stop_worker "$INGEST_PID"
verify 0
# The topic was full before sb-ingest started, so it must take it in large
# batches (one transaction each: received_at is the transaction's time). A
# regression once made every batch after the first one alert long, which
# only a benchmark noticed (10,000 transactions instead of about 20).
batches=$(sql 'SELECT count(DISTINCT received_at) FROM alerts')
log "transactions for the pre-filled topic: $batches"
check "$((batches <= 200))" 1 "a backlog is recorded in large batches ($batches transactions)"
grep -q '"level":"error"' "$T_DIR"/ingest.*.log && check "errors logged" "none" "error lines in the log"

# ---- run 2: SIGKILL twice in the middle ----
drop_db
T_ID="${T_ID}_k"
prepare
export SECURITYBOT_INGEST_BATCH_SIZE=50 # small batches, so a kill lands mid-stream
export SECURITYBOT_INGEST_DB_CONNECTIONS=3 # and the batches split over three lanes
# The killed consumer never says goodbye: the group waits a session timeout
# before it hands its partitions to the replacement (librdkafka's
# pass-through setting, the broker's minimum).
export SECURITYBOT_KAFKA_SESSION_TIMEOUT_MS=6000
for at in 1500 5000; do
	start_ingest
	wait_for "SELECT count(*) >= $at FROM alerts" t 120
	kill -9 "$INGEST_PID"
	wait "$INGEST_PID" 2>/dev/null || true
	rows=$(sql 'SELECT count(*) FROM alerts')
	log "killed sb-ingest with SIGKILL at $rows rows"
	check "$((rows < $(expect "['rows']")))" 1 "the kill at $at landed before the end"
done
start_ingest
wait_ingested "$(expect "['messages']")" 180
wait_for "SELECT count(*) FROM dead_letters" "$(expect "['dead_letters']")" 60
sleep 1 # let the last commit land before stopping
stop_worker "$INGEST_PID"
verify 1
finish
