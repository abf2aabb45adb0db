#!/usr/bin/env bash
# Static group membership (SECURITYBOT_INSTANCE_ID): each consuming worker,
# SIGKILLed under load and restarted at once under the same id, takes its
# partitions back without waiting for its old member's session to end; the
# time from the restart to the first message it handles is printed and
# stays under 10 s. For contrast, the same restart of sb-ingest without an
# id is printed too (it waits for the session). Two replicas started with
# one id fence each other until one gives up, naming the variable.
. "$(dirname "$0")/lib/common.sh"

setup_env 2
sb_groups "" "-$T_ID"
people=()
for ((i = 0; i < 40; i++)); do people+=("load$i:U$i"); done
import_people "${people[@]}"
export SECURITYBOT_CHAT=console SECURITYBOT_CONSOLE_LOG=$T_DIR/console.log
export SECURITYBOT_REQUIRE_2FA=false SECURITYBOT_SECURITY_CHANNEL=security

declare -A PID LOGF
# start W [ID]: sb-W with its metrics on a free port, under instance id ID
# (none: dynamic membership); sets PID[W] and LOGF[W].
start() {
	local w=$1 id=${2:-}
	LOGF[$w]=$T_DIR/$w.${#T_PIDS[@]}.log
	sb_start_worker "${LOGF[$w]}" "sb-$w" SECURITYBOT_METRICS_LISTEN=127.0.0.1:0 \
		SECURITYBOT_INSTANCE_ID="$id"
	PID[$w]=$SB_PID
}
gone() { ! sb_alive "$1"; }
metrics_port() {
	local line
	line=$(sb_wait_log "$1" '"msg":"metrics listening"' 30) || return 1
	grep -o '"port":"[0-9]*"' <<<"$line" | tr -dc 0-9
}
# consumed PORT: messages the process has handled (0 until the first)
consumed() {
	curl -fsS "http://127.0.0.1:$1/metrics" 2>/dev/null |
		awk '/^securitybot_messages_consumed_total/ { n += $NF } END { printf "%d\n", n }'
}
# until_handled_more LOG SECONDS: "handled" once the process logging to
# LOG handles more messages than it had, or "none" after SECONDS.
until_handled_more() {
	local port n0 i
	port=$(metrics_port "$1") || { echo none; return; }
	n0=$(consumed "$port")
	for ((i = 0; i < $2 * 10; i++)); do
		(($(consumed "$port") > n0)) && { echo handled; return; }
		sleep 0.1
	done
	echo none
}
# until_handled LOG SECONDS: seconds (one decimal) until the process
# logging to LOG has handled a message, or "none".
until_handled() {
	local port t0=$EPOCHREALTIME
	port=$(metrics_port "$1") || { echo none; return; }
	while (($(consumed "$port") == 0)); do
		python3 -c 'import sys; sys.exit(float(sys.argv[1]) - float(sys.argv[2]) >= float(sys.argv[3]))' \
			"$EPOCHREALTIME" "$t0" "$2" || { echo none; return; }
		sleep 0.1
	done
	python3 -c 'import sys; print("%.1f" % (float(sys.argv[1]) - float(sys.argv[2])))' "$EPOCHREALTIME" "$3"
}

for w in ingest prompt response escalation; do start "$w" "t20-$w-0"; done
for w in ingest prompt response escalation; do
	sb_wait_assigned "${LOGF[$w]}" 60 "${PID[$w]}" || sb_fail "sb-$w never got partitions"
done
check "$(grep -c '(member t20-ingest-0)' "${LOGF[ingest]}")" 1 "the start line names the static member"
sb_spawn "$T_DIR/feed.err" python3 "$SB_SOURCE_DIR/tests/integration/lib/feed.py" \
	"$SECURITYBOT_KAFKA_BROKERS" "$SECURITYBOT_TOPIC_PREFIX" 40 "$T_DIR/feed.stop"
FEED_PID=$SB_PID
for w in ingest prompt response escalation; do
	t=$(until_handled "${LOGF[$w]}" 60 "$EPOCHREALTIME")
	[[ $t != none ]] || sb_fail "sb-$w handled nothing under load"
done

# ---- SIGKILL, restart at once under the same id, per stage ----
for w in ingest prompt response escalation; do
	kill -9 "${PID[$w]}"
	wait "${PID[$w]}" 2>/dev/null || true
	t0=$EPOCHREALTIME
	start "$w" "t20-$w-0"
	t=$(until_handled "${LOGF[$w]}" 60 "$t0")
	log "sb-$w: first message handled ${t} s after its restart (static member t20-$w-0)"
	check "$([[ $t != none ]] && python3 -c 'import sys; print(float(sys.argv[1]) < 10)' "$t")" True \
		"sb-$w back to work within 10 s of a SIGKILL and restart"
	check "$(grep -c 'partitions revoked' "${LOGF[$w]}")" 0 "sb-$w: no rebalance took its partitions back"
done

# ---- the same without an id: the dead member holds its partitions ----
kill -9 "${PID[ingest]}"
wait "${PID[ingest]}" 2>/dev/null || true
# ...and its static member too, until its session ends; a dynamic one
# joins beside it
t0=$EPOCHREALTIME
start ingest ""
t=$(until_handled "${LOGF[ingest]}" 90 "$t0")
log "sb-ingest: first message handled ${t} s after its restart (dynamic member, for contrast)"
check "$([[ $t != none ]] && echo handled)" handled "a dynamic member gets to work too (after the session)"

# ---- two replicas, one id: they fence each other until one gives up ----
# A fenced member first rejoins (librdkafka also fences a member whose own
# session ran out while the broker was away); fenced a third time within
# 5 minutes, it stops, naming the variable. The other one works on.
first=${PID[escalation]} first_log=${LOGF[escalation]}
start escalation "t20-escalation-0"
second=${PID[escalation]} second_log=${LOGF[escalation]}
one_gone() { ! sb_alive "$first" || ! sb_alive "$second"; }
sb_wait_until 120 "" one_gone || sb_fail "two replicas with one id ran on together"
if sb_alive "$first"; then gone_pid=$second gone_log=$second_log live_pid=$first live_log=$first_log
else gone_pid=$first gone_log=$first_log live_pid=$second live_log=$second_log; fi
rc=0
wait "$gone_pid" 2>/dev/null || rc=$?
check "$((rc != 0))" 1 "the replica that gave up exits non-zero ($rc)"
check "$(grep -c 'fenced 3 times within 300 s: another replica joined the group with this SECURITYBOT_INSTANCE_ID' "$gone_log")" 1 \
	"its log names the variable"
check "$(grep -c '"msg":"kafka: rejoined group' "$gone_log")" 2 "it rejoined twice before giving up"
sleep 2 # the survivor may have been fenced by the last rejoin: it rejoins too
t=$(until_handled_more "$live_log" 60)
check "$t" handled "the other replica works on"
PID[escalation]=$live_pid
LOGF[escalation]=$live_log

# ---- a bad id is a configuration error ----
rc=0
SECURITYBOT_INSTANCE_ID='bad id/1' "$SB_BIN_DIR/sb-prompt" 2>"$T_DIR/bad-id.err" || rc=$?
check "$rc:$(grep -c 'SECURITYBOT_INSTANCE_ID must be' "$T_DIR/bad-id.err")" 2:1 "a bad instance id exits 2, named"

touch "$T_DIR/feed.stop"
sb_wait_until 30 "" gone "$FEED_PID" || true
for w in ingest prompt response escalation; do stop_worker "${PID[$w]}"; done
finish
