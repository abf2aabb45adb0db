# shellcheck shell=bash
# tests/lib/sandbox.sh: the one harness behind the integration tests, the
# chaos run, the benchmarks and the demo. It makes a sandbox on a running
# stack (a fresh database, migrated; topics under a unique prefix; consumer
# groups of its own; employees), starts the fakes and the workers, waits
# until each is ready (a port listening, a log line, an HTTP answer, a SQL
# result: never a fixed sleep where such a signal exists), and undoes it
# all at exit (a trap).
#
# Usage (sourced; the caller has `set -euo pipefail`):
#   . "$ROOT/tests/lib/sandbox.sh"
#   sb_sandbox_init NAME [DIR]     scratch directory, EXIT/INT/TERM traps
#   sb_stack_env [--env-first]     SECURITYBOT_KAFKA_BROKERS/_DATABASE_URL
#   sb_sandbox DB PREFIX [PARTITIONS]   = sb_db_create + sb_schema
#   sb_import_csv FILE | sb_import_people NAME[:CHAT[:ALIASES]]...
#   sb_start_fake NAME SCRIPT ARGS...   sets SB_FAKE_PORT
#   sb_spawn LOG CMD... / sb_start_worker LOG WORKER [ENV=V...]  sets SB_PID
#                                  (a worker logs in as its own database role)
#   sb_wait_log / sb_wait_port / sb_wait_http / sb_wait_sql / sb_wait_until
# Knobs (set before sb_sandbox_init or any time before exit):
#   SB_SAY_PREFIX    what the harness's messages start with
#   SB_SANDBOX_KEEP  never | failure | always: keep the databases and the
#                    scratch directory at exit (default: never)
#   SB_STOP_WAIT     seconds between SIGTERM and SIGKILL at exit (0: SIGKILL)
#   SB_CTL_OUT       where sbctl's output goes (default /dev/null)
#   SB_WORKER_ROLES  0: workers log in as the URL's user (the owner), not as
#                    their own roles (default 1)
# A function sb_on_exit, when the caller defines one, runs first at exit
# with the exit status as $1 (what only that caller knows how to undo).

SB_ROOT=${SB_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}
SB_BIN=${SB_BIN_DIR:-$SB_ROOT/build/bin}
SB_PIDS=()         # every process started here: stopped at exit (tests count them)
declare -A SB_REAPED=() # those sb_stop reaped: not signalled again (the pid may be reused)
SB_DBS=()          # every database created here: dropped at exit
SB_ADMIN_URL=${SB_ADMIN_URL:-} # the stack's own database: where the others are made
SB_DIR=${SB_DIR:-}
SB_SAY_PREFIX=${SB_SAY_PREFIX:-sandbox: }
SB_SANDBOX_KEEP=${SB_SANDBOX_KEEP:-never}
SB_STOP_WAIT=${SB_STOP_WAIT:-10}
SB_CTL_OUT=${SB_CTL_OUT:-/dev/null}
# Working hours are off in the sandbox unless a caller turns them on (the
# default, low, would hold low alerts at night and at weekends, so a test's
# outcome would depend on the hour it runs): tests 0042 and 0043 set it.
export SECURITYBOT_OFF_HOURS_MAX_SEVERITY=${SECURITYBOT_OFF_HOURS_MAX_SEVERITY:-none}
# Alert storms become one question unless a caller turns it off: the older
# tests send several alerts for one employee and rule and expect a question
# each, so the sandbox turns coalescing off (0) unless the caller set it;
# 0045, 0046, the chaos run and the demo run with the default (10m).
export SECURITYBOT_COALESCE_WINDOW=${SECURITYBOT_COALESCE_WINDOW:-0}

sb_say() { printf '%s%s\n' "$SB_SAY_PREFIX" "$*" >&2; }
sb_fail() {
	sb_say "$*"
	exit 1
}

# ---------------------------------------------------------------- lifetime

# sb_sandbox_init NAME [DIR]: the scratch directory (DIR, or a new
# /tmp/NAME.XXXXXX) in SB_DIR, and the traps that undo the sandbox.
sb_sandbox_init() {
	local name=$1
	SB_DIR=${2:-$(mktemp -d "${TMPDIR:-/tmp}/$name.XXXXXX")}
	mkdir -p "$SB_DIR"
	SB_DIR=$(cd "$SB_DIR" && pwd -P)
	trap sb_cleanup EXIT
	trap 'exit 130' INT TERM
}

# Is the process alive? A zombie (exited, not yet reaped) is not.
sb_alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[[ $(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) != Z ]]
}

# sb_stop PID [SECONDS]: SIGTERM, then SIGKILL after SECONDS (default 30;
# a signal that lands between fork and exec can be lost). Returns the
# process's exit status.
sb_stop() {
	local pid=$1 secs=${2:-30} i rc=0
	if ((secs > 0)); then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < secs * 10; i++)); do sb_alive "$pid" || break; sleep 0.1; done
	fi
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || rc=$?
	SB_REAPED[$pid]=1
	return "$rc"
}

# Stops every process the sandbox started and sb_stop has not (all at
# once, SB_STOP_WAIT s).
sb_stop_all() {
	local pid i live=()
	for pid in "${SB_PIDS[@]}"; do [[ -n ${SB_REAPED[$pid]:-} ]] || live+=("$pid"); done
	((${#live[@]})) || return 0
	if ((SB_STOP_WAIT > 0)); then
		for pid in "${live[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
		for ((i = 0; i < SB_STOP_WAIT * 10; i++)); do
			sb_any_alive "${live[@]}" || break
			sleep 0.1
		done
	fi
	for pid in "${live[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
	for pid in "${live[@]}"; do wait "$pid" 2>/dev/null || true; done
	for pid in "${live[@]}"; do SB_REAPED[$pid]=1; done
}
sb_any_alive() {
	local pid
	for pid in "$@"; do sb_alive "$pid" && return 0; done
	return 1
}

# The EXIT trap: the caller's sb_on_exit, the processes, the databases
# (unless kept), the scratch directory (unless kept).
# shellcheck disable=SC2317 # reached through the trap
sb_cleanup() {
	local rc=$? keep=0 db try
	set +e
	declare -F sb_on_exit >/dev/null && sb_on_exit "$rc"
	sb_stop_all
	case $SB_SANDBOX_KEEP in
	always) keep=1 ;;
	failure) ((rc == 0)) || keep=1 ;;
	esac
	if ((keep)); then
		((${#SB_DBS[@]} == 0)) || sb_say "kept database(s) ${SB_DBS[*]} for inspection"
		[[ -z $SB_DIR ]] || sb_say "kept $SB_DIR for inspection"
		exit "$rc"
	fi
	for db in "${SB_DBS[@]}"; do
		# FORCE cannot end an autovacuum worker of the superuser: retry a little
		for try in 1 2 3 4 5; do
			psql -X -q "$SB_ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 && break
			((try < 5)) || sb_say "could not drop database $db"
			sleep 1
		done
	done
	[[ -z $SB_DIR ]] || rm -rf "$SB_DIR"
	exit "$rc"
}

# ---------------------------------------------------------------- the stack

# sb_stack_env [--env-first]: the local stack's broker and database
# (deploy/local/stack env, or up when it is down), exported. With
# --env-first, SECURITYBOT_KAFKA_BROKERS and _DATABASE_URL from the
# environment win when both are set.
sb_stack_env() {
	local out
	if [[ ${1:-} == --env-first && -n ${SECURITYBOT_KAFKA_BROKERS:-} && -n ${SECURITYBOT_DATABASE_URL:-} ]]; then
		:
	elif out=$("$SB_ROOT/deploy/local/stack" env 2>/dev/null); then
		eval "$out"
	else
		sb_say "starting the local stack"
		out=$("$SB_ROOT/deploy/local/stack" up) || sb_fail "the local stack did not start"
		eval "$out"
	fi
	export SECURITYBOT_KAFKA_BROKERS SECURITYBOT_DATABASE_URL
}

# The database URL with another database name: a postgresql:// URI (query
# string kept) or a key=value conninfo.
sb_url_with_db() {
	local url=$1 db=$2 query=
	if [[ $url == postgres://* || $url == postgresql://* ]]; then
		[[ $url == *\?* ]] && query="?${url#*\?}" && url=${url%%\?*}
		[[ ${url#*://} == */* ]] && url=${url%/*}
		printf '%s/%s%s\n' "$url" "$db" "$query"
	elif [[ $url =~ (^|[[:space:]])dbname=[^[:space:]]* ]]; then
		printf '%s\n' "${url/"${BASH_REMATCH[0]}"/"${BASH_REMATCH[1]}dbname=$db"}"
	else
		printf '%s dbname=%s\n' "$url" "$db"
	fi
}

# sb_db_create DB [--replace] [--no-drop]: a fresh database DB next to the
# stack's, exported as SECURITYBOT_DATABASE_URL. --replace drops one a
# previous run left; --no-drop leaves it at exit (for a look afterwards).
sb_db_create() {
	local db=$1 replace=0 drop=1 arg
	shift
	for arg; do
		case $arg in
		--replace) replace=1 ;;
		--no-drop) drop=0 ;;
		esac
	done
	SB_ADMIN_URL=${SB_ADMIN_URL:-${SECURITYBOT_DATABASE_URL:?no stack: sb_stack_env first}}
	local cmds=(-c "SET client_min_messages = warning")
	((replace)) && cmds+=(-c "DROP DATABASE IF EXISTS $db WITH (FORCE)")
	psql -X -q -v ON_ERROR_STOP=1 "$SB_ADMIN_URL" "${cmds[@]}" -c "CREATE DATABASE $db" >/dev/null ||
		sb_fail "cannot create the database $db (the role in SECURITYBOT_DATABASE_URL needs CREATEDB)"
	((drop)) && SB_DBS+=("$db")
	SECURITYBOT_DATABASE_URL=$(sb_url_with_db "$SB_ADMIN_URL" "$db")
	export SECURITYBOT_DATABASE_URL
}

# sb_schema PREFIX [PARTITIONS]: the topic prefix, exported; the tables
# (sbctl migrate) and the topics (sbctl topics) for it.
sb_schema() {
	export SECURITYBOT_TOPIC_PREFIX=$1
	local parts=()
	[[ -z ${2:-} ]] || parts=(--partitions "$2")
	"$SB_BIN/sbctl" migrate >"$SB_CTL_OUT"
	"$SB_BIN/sbctl" topics "${parts[@]}" >"$SB_CTL_OUT"
}

# sb_sandbox DB PREFIX [PARTITIONS]: a fresh database and topics.
sb_sandbox() {
	sb_db_create "$1"
	sb_schema "$2" "${3:-}"
}

# sb_groups BEFORE AFTER [WORKER...]: consumer groups of our own,
# SECURITYBOT_<W>_GROUP=BEFORE<w>AFTER (default: every consuming worker).
# A group shared with another run would rebalance whenever its workers
# come or go; a worker an earlier run killed stays in it until its session
# times out.
sb_groups() {
	local before=$1 after=$2 w
	shift 2
	(($#)) || set -- ingest prompt response escalation
	for w; do export "SECURITYBOT_${w^^}_GROUP=$before$w$after"; done
}

# ---------------------------------------------------------------- employees

sb_import_csv() { "$SB_BIN/sbctl" employees import "$1" >"$SB_CTL_OUT"; }

# sb_import_people NAME[:CHAT_ID[:ALIASES]]...: these employees, each with
# the e-mail NAME@example.com (aliases separated by ";").
sb_import_people() {
	local p name chat aliases
	{
		echo "username,email,chat_user_id,aliases"
		for p in "$@"; do
			IFS=: read -r name chat aliases <<<"$p"
			printf '%s,%s@example.com,%s,%s\n' "$name" "$name" "$chat" "$aliases"
		done
	} >"$SB_DIR/people.csv"
	sb_import_csv "$SB_DIR/people.csv"
}

# ---------------------------------------------------------------- processes

# sb_spawn LOG CMD...: CMD in the background, stderr to LOG; sets SB_PID
# and stops it at exit.
sb_spawn() {
	local logf=$1
	shift
	"$@" 2>"$logf" &
	SB_PID=$!
	SB_PIDS+=("$SB_PID")
}

# sb_worker_role WORKER: the database role WORKER runs as (sb-ingest:
# sb_ingest; schemas/grants.sql); false for one without (sb-gateway, sbctl).
sb_worker_role() {
	case $1 in
	sb-ingest | sb-prompt | sb-response | sb-escalation | sb-console) echo "${1//-/_}" ;;
	*) return 1 ;;
	esac
}

# sb_url_with_user URL USER: the database URL with USER and no password (the
# stack lets the workers' roles in from loopback without one): a
# postgresql:// URI (host, database and query kept) or a key=value conninfo.
sb_url_with_user() {
	local url=$1 user=$2 scheme rest
	if [[ $url == postgres://* || $url == postgresql://* ]]; then
		scheme=${url%%://*} rest=${url#*://}
		[[ ${rest%%[/?]*} == *@* ]] && rest=${rest#*@}
		printf '%s://%s@%s\n' "$scheme" "$user" "$rest"
	else
		url=$(sed -E 's/(^|[[:space:]])(user|password)=[^[:space:]]*//g' <<<"$url")
		printf '%s user=%s\n' "$url" "$user"
	fi
}

# sb_start_worker LOG WORKER [ENV=VALUE...]: build/bin/WORKER with these
# variables added; sets SB_PID. A worker that uses the database logs in as
# its own role (sb_worker_role), so every test exercises the grants; a
# SECURITYBOT_DATABASE_URL=... among the variables wins, and
# SB_WORKER_ROLES=0 keeps the URL's user. Its readiness: sb_wait_assigned or
# sb_gateway_port.
sb_start_worker() {
	local logf=$1 w=$2 role db=()
	shift 2
	if [[ ${SB_WORKER_ROLES:-1} != 0 && -n ${SECURITYBOT_DATABASE_URL:-} ]] && role=$(sb_worker_role "$w"); then
		db=("SECURITYBOT_DATABASE_URL=$(sb_url_with_user "$SECURITYBOT_DATABASE_URL" "$role")")
	fi
	sb_spawn "$logf" env "${db[@]}" "$@" "$SB_BIN/$w"
}

# sb_start_fake NAME SCRIPT [ARGS...]: a fake (tests/fakes/*.py or one
# that behaves alike) on a free port, output in $SB_DIR/NAME.{out,err};
# waits for its "PORT n" line and sets SB_FAKE_PORT and SB_PID.
sb_start_fake() {
	local name=$1 line
	shift
	: >"$SB_DIR/$name.out"
	python3 "$@" --port 0 >"$SB_DIR/$name.out" 2>"$SB_DIR/$name.err" &
	SB_PID=$!
	SB_PIDS+=("$SB_PID")
	line=$(sb_wait_log "$SB_DIR/$name.out" '^PORT [0-9]+$' 10 "$SB_PID") || {
		cat "$SB_DIR/$name.err" >&2
		sb_fail "$name did not start"
	}
	SB_FAKE_PORT=${line#PORT }
	sb_wait_port "$SB_FAKE_PORT" 10 "$SB_PID" || sb_fail "$name does not listen on $SB_FAKE_PORT"
}

# ---------------------------------------------------------------- readiness

# sb_wait_until SECONDS PID CMD...: polls CMD every 0.1 s until it
# succeeds; fails after SECONDS, or at once when PID (unless "") has exited.
sb_wait_until() {
	local secs=$1 pid=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" && return 0
		[[ -z $pid ]] || sb_alive "$pid" || { "$@" && return 0; sb_say "pid $pid exited while waiting for: $*"; return 1; }
		sleep 0.1
	done
	sb_say "timed out after $secs s waiting for: $*"
	return 1
}

# sb_wait_log FILE ERE [SECONDS [PID]]: waits until a line of FILE matches
# ERE (default 30 s); prints the first such line.
sb_wait_log() {
	local file=$1 re=$2
	sb_wait_until "${3:-30}" "${4:-}" grep -qE -- "$re" "$file" 2>/dev/null || return 1
	grep -m1 -E -- "$re" "$file"
}

# sb_wait_port PORT [SECONDS [PID]]: waits until something listens on
# 127.0.0.1:PORT (or any address) over TCP.
sb_listening() { [[ -n $(ss -Hltn "sport = :$1" 2>/dev/null) ]]; }
sb_wait_port() { sb_wait_until "${2:-30}" "${3:-}" sb_listening "$1"; }

# sb_wait_http URL [SECONDS [PID [CODE]]]: waits until URL answers CODE
# (default 200).
sb_http_is() { [[ $(curl -s -o /dev/null -w '%{http_code}' "$1") == "$2" ]]; }
sb_wait_http() { sb_wait_until "${2:-30}" "${3:-}" sb_http_is "$1" "${4:-200}"; }

# sb_wait_sql QUERY WANT [SECONDS [PID]]: waits until the query, on the
# sandbox's database, prints WANT.
sb_sql_is() { [[ $(psql -X -q -At "$SECURITYBOT_DATABASE_URL" -c "$1" 2>/dev/null) == "$2" ]]; }
sb_wait_sql() { sb_wait_until "${3:-120}" "${4:-}" sb_sql_is "$1" "$2"; }

# sb_wait_assigned LOG [SECONDS [PID]]: a consuming worker is ready once
# its group gave it partitions (librdkafka's rebalance, logged).
sb_wait_assigned() { sb_wait_log "$1" 'kafka: partitions assigned' "${2:-60}" "${3:-}" >/dev/null; }

# sb_gateway_port LOG [SECONDS [PID]]: sb-gateway started on port 0
# says in its "listening" log line which port the kernel gave it.
sb_gateway_port() {
	local line
	line=$(sb_wait_log "$1" '"msg":"listening".*"port":"[0-9]+"' "${2:-15}" "${3:-}") || return 1
	grep -o '"port":"[0-9]*"' <<<"$line" | tr -dc 0-9
}

# sb_checkpoint URL: a CHECKPOINT in URL's cluster, so that a timed phase
# does not start while an earlier phase's (or a fill's) WAL and dirty pages
# are still being written back. It needs a superuser or pg_checkpoint: the
# stack's role is neither, so the cluster's bootstrap superuser
# (SB_BENCH_PG_SUPERUSER, default postgres; the local stack trusts it on
# 127.0.0.1) is tried next. SB_CHECKPOINTED says which worked; returns 0
# either way (a benchmark still runs without it, and says so).
# shellcheck disable=SC2034 # SB_CHECKPOINTED is read by the caller
sb_checkpoint() {
	local su
	SB_CHECKPOINTED="no (not permitted: the phases may overlap in write-back)"
	if psql -X -q -At "$1" -c "CHECKPOINT" 2>/dev/null; then
		SB_CHECKPOINTED=yes
		return 0
	fi
	su=$(python3 -c 'import sys, urllib.parse as u
p = u.urlsplit(sys.argv[1])
if p.scheme not in ("postgres", "postgresql"): sys.exit(1)
print(u.urlunsplit(p._replace(netloc="%s@%s" % (sys.argv[2], p.netloc.rsplit("@", 1)[-1]))))' "$1" "${SB_BENCH_PG_SUPERUSER:-postgres}" 2>/dev/null) &&
		psql -X -q -At "$su" -c "CHECKPOINT" 2>/dev/null &&
		SB_CHECKPOINTED="yes (as ${SB_BENCH_PG_SUPERUSER:-postgres})"
	return 0
}
