# shellcheck shell=bash disable=SC2154 # s_* are set by stats (printf -v)
# ingest.sh: the generated alert stream and the assertions that the ingest
# tests share. Source after common.sh; GEN_ARGS passes options to the generator.
gen=$T_DIR/gen
mkdir -p "$gen"
python3 "$SB_SOURCE_DIR/tests/integration/lib/gen_alerts.py" "$gen" ${GEN_ARGS:-}
expect() { python3 -c "import json,sys; print(json.load(open('$gen/expected.json'))$1)"; }

# stats TOPIC SCHEMA: the topic summary as shell variables s_total, s_distinct, ...
stats() {
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
	check "$(sql "$PROGRESS_SQL")" "$(expect "['messages']")" "input messages fully handled"
	check "$(sql "$UNSENT_SQL")" 0 "alerts not yet confirmed sent"
	check "$(sql "SELECT count(*) FROM alerts WHERE status='queued'")" "$(expect "['prompts']")" "queued alerts"
	check "$(sql "SELECT count(*) FROM alerts WHERE status_reason='unknown_employee'")" \
		"$(expect "['unknown_employee']")" "unknown-employee alerts"
	check "$(sql "SELECT count(*) FROM alerts WHERE raw->'custom_field'->>'kept' = 'true'")" \
		"$(expect "['rows']")" "unknown fields kept in raw"
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
	[[ ${1:-} == --no-publish ]] || publish_lines "$gen/alerts.bin"
}


# drop_db: drops this test's database once the workers' sessions are gone.
# A stopped worker's backend can outlive the process for a moment, and the
# test's role may not terminate another role's backend (FORCE then fails).
drop_db() {
	wait_for "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()
	  AND pid <> pg_backend_pid()" 0 30
	psql -X -q "$T_ADMIN_URL" -c "DROP DATABASE $T_ID WITH (FORCE)" >/dev/null
}
