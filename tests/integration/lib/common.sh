# shellcheck shell=bash
# common.sh: what every integration test shares: a private database and
# topic prefix on the real stack (the sandbox of tests/lib/sandbox.sh),
# assertions, topic reading, worker control.
# Source it first thing; it sets `set -euo pipefail` and a cleanup trap
# (everything the test started is killed; the database and $T_DIR are
# dropped after a pass, kept after a failure or with SB_KEEP set).
set -euo pipefail

SB_SOURCE_DIR=${SB_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd -P)}
SB_BIN_DIR=${SB_BIN_DIR:-$SB_SOURCE_DIR/build/bin}
: "${SECURITYBOT_KAFKA_BROKERS:?run through tests/run, or eval \"\$(deploy/local/stack up)\" first}"
: "${SECURITYBOT_DATABASE_URL:?run through tests/run, or eval \"\$(deploy/local/stack up)\" first}"
export SECURITYBOT_KAFKA_BROKERS

T_NAME=$(basename "${BASH_SOURCE[1]}" .sh | tr -c 'a-z0-9\n' '_')
T_ID="sbt_${T_NAME}_$$"
T_ADMIN_URL=$SECURITYBOT_DATABASE_URL
T_FAILED=0
T_CHECKS=0
SB_SAY_PREFIX="[$T_NAME] "
SB_SANDBOX_KEEP=failure
[[ -z ${SB_KEEP:-} ]] || SB_SANDBOX_KEEP=always
SB_STOP_WAIT=0 # what a test leaves running is killed at once
SB_ADMIN_URL=$T_ADMIN_URL
# shellcheck source=../../lib/sandbox.sh
. "$SB_SOURCE_DIR/tests/lib/sandbox.sh"
sb_sandbox_init "sbtest.$T_NAME"
T_DIR=$SB_DIR
# the sandbox's processes under the tests' name (tests add their own)
declare -n T_PIDS=SB_PIDS

log() { sb_say "$@"; }

# Replaces the database name of a postgresql:// URL.
url_with_db() { sb_url_with_db "$@"; }

# The exit trap; a test with a trap of its own calls it last.
cleanup() { sb_cleanup; }

# A fresh database (migrated) and topic prefix for this test.
setup_env() {
	sb_sandbox "$T_ID" "t.${T_ID}." "${1:-6}"
	sb_groups "" "-$T_ID" ingest prompt response
	log "database $T_ID, topics ${SECURITYBOT_TOPIC_PREFIX}*"
}

# import_people NAME[:CHAT_ID[:ALIASES]]...: imports these employees, each
# with the e-mail NAME@example.com (aliases separated by ";").
import_people() { sb_import_people "$@"; }

sql() { psql -X -q -At -v ON_ERROR_STOP=1 "$SECURITYBOT_DATABASE_URL" -c "$1"; }

check() { # check ACTUAL EXPECTED WHAT
	T_CHECKS=$((T_CHECKS + 1))
	if [[ "$1" == "$2" ]]; then
		log "ok: $3 = $1"
	else
		log "FAIL: $3: got '$1', expected '$2'"
		T_FAILED=$((T_FAILED + 1))
	fi
}

finish() {
	log "$T_CHECKS checks, $T_FAILED failed"
	((T_FAILED == 0)) || exit 1
}

# Every message of a topic, one per line: key TAB partition TAB offset TAB value.
topic_dump() {
	kcat -C -b "$SECURITYBOT_KAFKA_BROKERS" -t "${SECURITYBOT_TOPIC_PREFIX}$1" -o beginning -e -q \
		-f '%k\t%p\t%o\t%s\n' 2>/dev/null
}

# on_topic TOPIC KEY: the values of TOPIC's messages keyed KEY, one a line
on_topic() { topic_dump "$1" | awk -F'\t' -v k="$2" '$1 == k' | cut -f4-; }
# field EXPR: for each JSON line of stdin (m), EXPR evaluated, space-separated
field() { python3 -c 'import json, sys
ms = [json.loads(l) for l in sys.stdin if l.strip()]
print(" ".join(str(eval(sys.argv[1], {}, {"m": m})) for m in ms))' "$1"; }
# wait_topic TOPIC KEY [COUNT [SECONDS]]: until TOPIC holds COUNT (1)
# messages keyed KEY, at most SECONDS (30); 1 if it did not
wait_topic() {
	local i
	for ((i = 0; i < ${4:-30} * 10; i++)); do
		[[ $(on_topic "$1" "$2" | grep -c .) -ge ${3:-1} ]] && return 0
		sleep 0.1
	done
	return 1
}
# handled N: until sb-response has recorded N events in all
handled() { wait_for "SELECT count(*) FROM responses" "$1" 30; }
# delivered ALERT [SECONDS]: until ALERT's escalation was delivered
delivered() { wait_for "SELECT count(*) FROM escalations WHERE alert_id = '$1' AND delivered_at IS NOT NULL" 1 "${2:-30}"; }
# emp NAME: the SQL of employee NAME's id
emp() { echo "(SELECT id FROM employees WHERE username = '$1')"; }

# Publishes a file of alerts, one message per line, to <prefix>alerts.
publish_lines() {
	kcat -P -b "$SECURITYBOT_KAFKA_BROKERS" -t "${SECURITYBOT_TOPIC_PREFIX}alerts" -l "$1"
}

# Starts sb-ingest in the background; its log goes to $T_DIR/ingest.N.log.
# Sets INGEST_PID.
# shellcheck disable=SC2034 # read by the tests
start_ingest() {
	sb_start_worker "$T_DIR/ingest.${#T_PIDS[@]}.log" sb-ingest
	INGEST_PID=$SB_PID
}

# Waits until the SQL query prints the expected value (max $3 seconds).
wait_for() {
	local query=$1 want=$2 max=${3:-120} got="" i
	for ((i = 0; i < max * 10; i++)); do
		got=$(sql "$query" 2>/dev/null || true)
		[[ $got == "$want" ]] && return 0
		sleep 0.1
	done
	log "timed out waiting for [$query] = $want (last: $got)"
	return 1
}

# How many input messages sb-ingest has fully handled (recorded and their
# downstream messages acknowledged), and how many alerts it created but
# has not yet confirmed as sent: 0 once it is done.
PROGRESS_SQL="SELECT coalesce(sum(next_offset), 0) FROM ingest_progress"
# shellcheck disable=SC2034 # read by the tests
UNSENT_SQL="SELECT count(*) FROM alerts a LEFT JOIN ingest_progress g
  ON g.topic = a.src_topic AND g.partition = a.src_partition
  WHERE a.src_offset >= coalesce(g.next_offset, 0)"
wait_ingested() { wait_for "$PROGRESS_SQL" "$1" "${2:-120}"; }

# Stops a worker with SIGTERM and checks that it exits 0 within 30 s.
stop_worker() {
	local pid=$1 rc=0
	sb_stop "$pid" 30 || rc=$?
	check "$rc" 0 "exit status after SIGTERM (pid $pid)"
}
