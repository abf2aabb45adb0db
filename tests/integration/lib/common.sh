# common.sh: what every integration test shares: a private database and
# topic prefix on the real stack, assertions, topic reading, worker control.
# Source it first thing; it sets `set -euo pipefail` and a cleanup trap.
set -euo pipefail

SB_SOURCE_DIR=${SB_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd -P)}
SB_BIN_DIR=${SB_BIN_DIR:-$SB_SOURCE_DIR/build/bin}
: "${SECURITYBOT_KAFKA_BROKERS:?run through tests/run, or eval \"\$(deploy/local/stack up)\" first}"
: "${SECURITYBOT_DATABASE_URL:?run through tests/run, or eval \"\$(deploy/local/stack up)\" first}"
export SECURITYBOT_KAFKA_BROKERS

T_NAME=$(basename "${BASH_SOURCE[1]}" .sh | tr -c 'a-z0-9\n' '_')
T_ID="sbt_${T_NAME}_$$"
T_DIR=$(mktemp -d "/tmp/sbtest.${T_NAME}.XXXXXX")
T_ADMIN_URL=$SECURITYBOT_DATABASE_URL
T_PIDS=()
T_FAILED=0
T_CHECKS=0

log() { printf '[%s] %s\n' "$T_NAME" "$*" >&2; }

# Replaces the database name of a postgresql:// URL.
url_with_db() { printf '%s\n' "${1%/*}/$2"; }

cleanup() {
	local rc=$?
	for pid in "${T_PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
	if ((rc == 0)) && [[ -z ${SB_KEEP:-} ]]; then
		psql -X -q "$T_ADMIN_URL" -c "DROP DATABASE IF EXISTS $T_ID WITH (FORCE)" >/dev/null 2>&1 || true
		rm -rf "$T_DIR"
	else
		log "kept database $T_ID and $T_DIR for inspection"
	fi
}
trap cleanup EXIT

# A fresh database (migrated) and topic prefix for this test.
setup_env() {
	local partitions=${1:-6}
	psql -X -q "$T_ADMIN_URL" -c "CREATE DATABASE $T_ID" >/dev/null
	export SECURITYBOT_DATABASE_URL
	SECURITYBOT_DATABASE_URL=$(url_with_db "$T_ADMIN_URL" "$T_ID")
	export SECURITYBOT_TOPIC_PREFIX="t.${T_ID}."
	# groups of our own: a worker an earlier, failed run killed with -9 stays
	# in its group until the session times out, and would stall this one
	export SECURITYBOT_INGEST_GROUP="ingest-$T_ID" SECURITYBOT_PROMPT_GROUP="prompt-$T_ID"
	export SECURITYBOT_RESPONSE_GROUP="response-$T_ID"
	"$SB_BIN_DIR/sbctl" migrate >/dev/null
	"$SB_BIN_DIR/sbctl" topics --partitions "$partitions" >/dev/null
	log "database $T_ID, topics ${SECURITYBOT_TOPIC_PREFIX}*"
}

# import_people NAME[:CHAT_ID[:ALIASES]]...: imports these employees, each
# with the e-mail NAME@example.com (aliases separated by ";").
import_people() {
	local p name chat aliases
	{
		echo "username,email,chat_user_id,aliases"
		for p in "$@"; do
			IFS=: read -r name chat aliases <<<"$p"
			printf '%s,%s@example.com,%s,%s\n' "$name" "$name" "$chat" "$aliases"
		done
	} >"$T_DIR/people.csv"
	"$SB_BIN_DIR/sbctl" employees import "$T_DIR/people.csv" >/dev/null
}

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

# Publishes a file of alerts, one message per line, to <prefix>alerts.
publish_lines() {
	kcat -P -b "$SECURITYBOT_KAFKA_BROKERS" -t "${SECURITYBOT_TOPIC_PREFIX}alerts" -l "$1"
}

# Starts sb-ingest in the background; its log goes to $T_DIR/ingest.N.log.
start_ingest() {
	local n=${#T_PIDS[@]}
	"$SB_BIN_DIR/sb-ingest" 2>"$T_DIR/ingest.$n.log" &
	T_PIDS+=($!)
	INGEST_PID=$!
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
UNSENT_SQL="SELECT count(*) FROM alerts a LEFT JOIN ingest_progress g
  ON g.topic = a.src_topic AND g.partition = a.src_partition
  WHERE a.src_offset >= coalesce(g.next_offset, 0)"
wait_ingested() { wait_for "$PROGRESS_SQL" "$1" "${2:-120}"; }

# Stops a worker with SIGTERM and checks that it exits 0 within 30 s.
stop_worker() {
	local pid=$1 rc=0
	kill -TERM "$pid"
	for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	wait "$pid" || rc=$?
	check "$rc" 0 "exit status after SIGTERM (pid $pid)"
}
