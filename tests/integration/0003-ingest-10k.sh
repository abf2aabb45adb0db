#!/usr/bin/env bash
# 10,000 alerts (1,000 duplicates, 200 invalid of varied kinds) through one
# sb-ingest on the real stack: every distinct valid alert is exactly one row
# with the id the contract defines, one downstream message each, and every
# invalid one a dead letter with the right reason. Then the same stream
# again, with sb-ingest killed by SIGKILL twice mid-way: the same counts.
. "$(dirname "$0")/lib/common.sh"

gen=$T_DIR/gen
mkdir -p "$gen"
python3 "$SB_SOURCE_DIR/tests/integration/lib/gen_alerts.py" "$gen"
expect() { python3 -c "import json,sys; print(json.load(open('$gen/expected.json'))$1)"; }

# stats TOPIC SCHEMA: the topic summary as shell variables s_total, s_distinct, ...
stats() {
	local line
	unset "${!s_@}"
	while IFS='=' read -r k v; do
		k=${k//./_}
		printf -v "s_$k" '%s' "$v"
	done < <(topic_dump "$1" | python3 "$SB_SOURCE_DIR/tests/integration/lib/topic_stats.py" "$2" "${@:3}")
}

# verify KILLED: every assertion of the run; exact totals when not killed.
verify() {
	local killed=$1
	check "$(sql 'SELECT count(*) FROM alerts')" "$(expect "['rows']")" "alert rows"
	check "$(sql 'SELECT id FROM alerts ORDER BY id' | sha256sum)" "$(sha256sum <"$gen/ids.txt")" \
		"alert ids equal the ids computed from the contract"
	check "$(sql "SELECT count(*) FROM alerts WHERE dispatched_at IS NULL")" 0 "undispatched alerts"
	check "$(sql "SELECT count(*) FROM alerts WHERE status='queued'")" "$(expect "['prompts']")" "queued alerts"
	check "$(sql "SELECT count(*) FROM alerts WHERE status_reason='unknown_employee'")" \
		"$(expect "['unknown_employee']")" "unknown-employee alerts"
	check "$(sql "SELECT count(*) FROM alerts WHERE raw->'custom_field'->>'kept' = 'true'")" \
		"$(expect "['rows']")" "unknown fields kept in raw"
	check "$(sql "SELECT count(*) FROM audit_log WHERE action='alert_received'")" \
		"$(expect "['rows']")" "audit entries (one per alert)"
	check "$(sql 'SELECT count(*) FROM dead_letters')" "$(expect "['dead_letters']")" "dead-letter rows"

	stats prompts prompt.v1
	check "$s_distinct" "$(expect "['prompts']")" "distinct prompt requests"
	check "$s_alerts" "$(expect "['prompts']")" "alerts with a prompt request"
	check "$s_invalid/$s_key_mismatch" "0/0" "malformed or wrongly keyed prompt requests"
	((killed)) || check "$s_total" "$(expect "['prompts']")" "prompt messages (no duplicates without a crash)"
	log "prompt messages on the topic: $s_total for $s_distinct distinct"

	stats escalation-requests escalation-request.v1 --count-field reason
	check "$s_distinct" "$(expect "['escalation_requests']")" "distinct escalation requests"
	check "${s_field_reason_unknown_employee:-0}" "$(expect "['unknown_employee']")" "unknown_employee requests"
	check "${s_field_reason_opted_out:-0}" "$(expect "['opted_out']")" "opted_out requests"
	check "$s_invalid/$s_key_mismatch" "0/0" "malformed or wrongly keyed escalation requests"
	((killed)) || check "$s_total" "$(expect "['escalation_requests']")" "escalation request messages"

	stats outcomes outcome.v1 --count-field outcome
	check "${s_field_outcome_suppressed:-0}" "$(expect "['outcomes']")" "suppressed outcomes"
	((killed)) || check "$s_total" "$(expect "['outcomes']")" "outcome messages"

	stats alerts.dlq alert-dlq.v1
	check "$s_distinct" "$(expect "['dead_letters']")" "distinct dead letters"
	check "$s_invalid" 0 "malformed dead letters"
	((killed)) || check "$s_total" "$(expect "['dead_letters']")" "dead-letter messages"
	for reason in $(expect "['reasons'].keys()" | tr -d "[]',()" | sed 's/dict_keys//'); do
		local var="s_reason_$reason"
		check "${!var:-0}" "$(expect "['reasons']['$reason']")" "dead letters with reason $reason"
	done
}

prepare() {
	setup_env 6
	"$SB_BIN_DIR/sbctl" employees import "$gen/employees.csv" >/dev/null
	sql "UPDATE employees SET opted_out = true WHERE username = 'optout01'"
	sql "INSERT INTO ignore_rules (employee_id, rule, until, reason, created_by)
	     SELECT id, 'noisy-rule', now() + interval '1 day', 'test', 'test' FROM employees
	     WHERE username = 'quiet01'"
	publish_lines "$gen/alerts.bin"
}

# ---- run 1: no faults ----
prepare
start_ingest
wait_for "SELECT count(*) FROM alerts WHERE dispatched_at IS NOT NULL" "$(expect "['rows']")" 180
wait_for "SELECT count(*) FROM dead_letters" "$(expect "['dead_letters']")" 60
stop_worker "$INGEST_PID"
verify 0
grep -q '"level":"error"' "$T_DIR"/ingest.*.log && check "errors logged" "none" "error lines in the log"

# ---- run 2: SIGKILL twice in the middle ----
psql -X -q "$T_ADMIN_URL" -c "DROP DATABASE $T_ID WITH (FORCE)" >/dev/null
T_ID="${T_ID}_k"
prepare
export SECURITYBOT_INGEST_BATCH_SIZE=50 # small batches, so a kill lands mid-stream
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
wait_for "SELECT count(*) FROM alerts WHERE dispatched_at IS NOT NULL" "$(expect "['rows']")" 180
wait_for "SELECT count(*) FROM dead_letters" "$(expect "['dead_letters']")" 60
sleep 1 # let the last commit land before stopping
stop_worker "$INGEST_PID"
verify 1
finish
