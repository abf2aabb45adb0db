#!/usr/bin/env bash
# The hostile-input corpus (tests/badinput/cases.tsv) against the real
# workers, each a separate process (sb-ingest, sb-prompt, sb-gateway,
# sb-response, sb-escalation) and Slack played by the fake: every alert,
# Slack request, conversation and intake case meets its expectation (a dead
# letter with its reason, a row stored verbatim, an HTTP status, what reached
# <prefix>responses or <prefix>alerts, the alert's state, the audit line, the
# reply); then no worker crashed (all still running, SIGTERM exits 0), nothing was lost
# (every message on <prefix>alerts is a row, a dead letter or a duplicate of
# a row; every published response event is recorded), the tables are still
# there, and the fake saw no request Slack would refuse.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/intake.sh"
. "$(dirname "$0")/lib/console.sh"
. "$(dirname "$0")/lib/totp.sh"
BADINPUT=$SB_SOURCE_DIR/tests/badinput
# the driver signs with the secret's value; the gateway reads it from a file
bi() { SLACK_SIGNING_SECRET=$SECRET python3 "$BADINPUT/badinput.py" "$@"; }

setup_env 3
export T_DIR SB_BIN_DIR BADINPUT_PARTITIONS=3
totp_setup
SECRET="badinput-signing-secret-0123456789"
printf '%s\n' "$SECRET" >"$T_DIR/signing-secret"
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
start_fake_slack
export FAKE_URL FAKE_CTL FAKE_TOKEN SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN
export SECURITYBOT_ESCALATION_GROUP="escalation-$T_ID"
log "employees and second factors: $(bi setup)"

start_worker() { # start_worker NAME: sets WORKER_PID
	local name=$1 n=${#T_PIDS[@]}
	"$SB_BIN_DIR/$name" 2>"$T_DIR/$name.$n.log" &
	WORKER_PID=$!
	T_PIDS+=("$WORKER_PID")
}
start_ingest
start_worker sb-prompt; PROMPT_PID=$WORKER_PID
start_worker sb-response; RESPONSE_PID=$WORKER_PID
start_worker sb-escalation; ESCALATION_PID=$WORKER_PID
# the intake: a token of source badinput, one of another source; a rate no
# case reaches (the 10,000-alert Alertmanager group would leave a debt)
INTAKE_TOKEN=$(intake_token badinput "$T_DIR/intake-tokens")
INTAKE_OTHER_TOKEN=$(intake_token other "$T_DIR/intake-tokens")
export INTAKE_TOKEN INTAKE_OTHER_TOKEN
start_gateway "$T_DIR/sb-gateway.log" SECURITYBOT_INTAKE_TOKENS_FILE="$T_DIR/intake-tokens" \
	SECURITYBOT_INTAKE_RATE=1000000
export GW_PORT GATEWAY_LOG=$T_DIR/sb-gateway.log
# the console: a viewer's and a responder's token
CONSOLE_VIEWER_TOKEN=$(console_token bi-viewer viewer)
CONSOLE_RESPONDER_TOKEN=$(console_token bi-responder responder)
start_console "$T_DIR/sb-console.log"
CONSOLE_PORT=${CONSOLE_URL##*:}
export CONSOLE_PORT CONSOLE_VIEWER_TOKEN CONSOLE_RESPONDER_TOKEN

# Every case: id, expected, got; the check passes when got equals expected.
declare -A per_layer=()
run_layer() { # run_layer LAYER
	local id want got
	while IFS=$'\t' read -r id want got; do
		printf '%-4s %-34s expected: %-48s got: %s\n' "$([[ $got == "$want" ]] && echo ok || echo FAIL)" \
			"$id" "$want" "$got"
		check "$got" "$want" "case $id" 2>/dev/null
		per_layer[$1]=$((${per_layer[$1]:-0} + 1))
	done < <(bi "$1" 2>>"$T_DIR/badinput.err")
}
log "--- alert input: $(bi count)"
run_layer alerts
log "--- Slack requests"
run_layer slack
log "--- conversation input"
run_layer conversation
log "--- intake requests"
run_layer intake
log "--- console requests"
run_layer console
[[ -s $T_DIR/badinput.err ]] && sed 's/^/[badinput] /' "$T_DIR/badinput.err" >&2
log "cases run: alert ${per_layer[alerts]:-0}, slack ${per_layer[slack]:-0}, conversation ${per_layer[conversation]:-0}, intake ${per_layer[intake]:-0}, console ${per_layer[console]:-0}; $T_FAILED failed"
check "$((${per_layer[alerts]:-0} + ${per_layer[slack]:-0} + ${per_layer[conversation]:-0} + ${per_layer[intake]:-0} + ${per_layer[console]:-0}))" \
	"$(bi count | sed 's/.*total=//')" "every case of the manifest ran"

# ---- nothing lost, nothing dropped ----
wait_for "$UNSENT_SQL" 0 60 || true
accounting=$(bi accounting)
log "alerts topic: $accounting"
check "$(grep -o 'lost=[0-9]*' <<<"$accounting")" "lost=0" "every alert message is a row, a dead letter or a duplicate"
check "$(sql "SELECT count(*) FROM alerts WHERE src_topic = '${SECURITYBOT_TOPIC_PREFIX}alerts'")" \
	"$(grep -o ' rows=[0-9]*' <<<"$accounting" | tr -dc 0-9)" "alert rows counted against the topic"
check "$(sql "SELECT to_regclass('console_users') IS NOT NULL")" t "console_users still exists"
check "$(sql "SELECT to_regclass('alerts') IS NOT NULL AND to_regclass('dead_letters') IS NOT NULL
              AND to_regclass('employees') IS NOT NULL AND to_regclass('ignore_rules') IS NOT NULL")" t \
	"alerts, dead_letters, employees and ignore_rules still exist"
check "$(sql 'SELECT count(*) FROM employees')" "$(($(wc -l <"$T_DIR/badinput-employees.csv") - 1))" "no employee added or removed"
check "$(topic_dump responses | cut -f4 | grep -o '"event_id":"[^"]*"' | sort -u | wc -l)" \
	"$(sql 'SELECT count(*) FROM responses')" "every published response event recorded once by sb-response"
check "$(fake_q violations "d['count']")" 0 "requests the fake Slack refused"

# ---- no worker crashed: all still running, then SIGTERM exits 0 ----
for pid in "$INGEST_PID" "$PROMPT_PID" "$RESPONSE_PID" "$ESCALATION_PID" "$GW_PID" "$CONSOLE_PID"; do
	check "$(kill -0 "$pid" 2>/dev/null && echo running)" running "worker $pid still running"
done
stop_worker "$CONSOLE_PID"
stop_worker "$GW_PID"
stop_worker "$RESPONSE_PID"
stop_worker "$PROMPT_PID"
stop_worker "$ESCALATION_PID"
stop_worker "$INGEST_PID"
check "$(cat "$T_DIR"/*.log | grep -c -e "$SECRET" -e "$FAKE_TOKEN" -e "$(cat "$T_DIR/key")" \
	-e "$INTAKE_TOKEN" -e "$INTAKE_OTHER_TOKEN" -e "$CONSOLE_VIEWER_TOKEN" -e "$CONSOLE_RESPONDER_TOKEN" || true)" 0 \
	"no secret in any log"
stop_fake_slack
finish
