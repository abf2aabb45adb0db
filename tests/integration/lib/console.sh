# shellcheck shell=bash
# console.sh: starts sb-console for a test, makes console users and tokens,
# and sends it requests with curl. Source after common.sh.

# start_console LOG [ENV=VALUE...]: sb-console on a free port (port 0; its
# "listening" line says which), ready once /readyz answers; sets
# CONSOLE_PID and CONSOLE_URL. Plain HTTP: insecure cookies unless the
# caller says otherwise.
start_console() {
	local logf=$1 port
	shift
	sb_start_worker "$logf" sb-console SECURITYBOT_CONSOLE_LISTEN=127.0.0.1:0 \
		SECURITYBOT_CONSOLE_INSECURE_COOKIES=true "$@"
	CONSOLE_PID=$SB_PID
	port=$(sb_gateway_port "$logf" 30 "$CONSOLE_PID") || {
		log "sb-console did not start:"
		cat "$logf" >&2
		exit 1
	}
	CONSOLE_URL=http://127.0.0.1:$port
	sb_wait_http "$CONSOLE_URL/readyz" 30 "$CONSOLE_PID" || exit 1
}

# console_user NAME ROLE PASSWORD: a console user with that password.
console_user() {
	printf '%s\n' "$3" | "$SB_BIN_DIR/sbctl" users add "$1" --role "$2" --password-stdin 2>/dev/null
}

# console_token NAME ROLE: prints a new bearer token (sbctl's last line).
console_token() {
	"$SB_BIN_DIR/sbctl" tokens create "$1" --role "$2" 2>/dev/null | tail -n 1
}

# req METHOD URL [CURL ARGS...]: prints the status; the body is in
# $T_DIR/body, the response headers in $T_DIR/headers.
req() {
	local method=$1 url=$2
	shift 2
	curl -s -o "$T_DIR/body" -D "$T_DIR/headers" -w '%{http_code}' -X "$method" "$@" "$url" || true
}

# header NAME: the value of a response header of the last req ("" if none).
header() {
	grep -i "^$1:" "$T_DIR/headers" | head -n 1 | cut -d' ' -f2- | tr -d '\r'
}

# body_json EXPR: EXPR with d = the last body as JSON.
body_json() {
	python3 "$SB_SOURCE_DIR/tests/integration/lib/json_eval.py" "$T_DIR/body" "$1"
}

# login JAR USER PASSWORD [BASE]: logs in, the cookie into JAR; prints the
# status; the session's CSRF token is in JAR.csrf after a 200.
login() {
	local jar=$1 user=$2 pw=$3 base=${4:-$CONSOLE_URL} code
	code=$(req POST "$base/api/v1/login" -c "$jar" -H 'Content-Type: application/json' \
		--data-binary "{\"user\":\"$user\",\"password\":\"$pw\"}")
	[[ $code != 200 ]] || body_json 'd["csrf"]' >"$jar.csrf"
	echo "$code"
}

# alert_row ID RULE SEVERITY STATUS OUTCOME USER AGE TITLE: an alert row
# received AGE ago (a PostgreSQL interval), written with SQL (the chat loop
# is not what these tests look at). TITLE is passed as a psql variable, so
# any text goes in as it is.
alert_row() {
	psql -X -q -v ON_ERROR_STOP=1 -v title="$8" "$SECURITYBOT_DATABASE_URL" >/dev/null <<-SQL
		INSERT INTO alerts (id, source, rule, title, username, severity, occurred_at, raw, status,
		  outcome, employee_id, src_topic, src_partition, src_offset, received_at, prompted_at,
		  answered_at, description)
		VALUES ('$1', 'test', '$2', :'title', '$6', '$3', now() - interval '$7', '{"title": "raw"}',
		  '$4', NULLIF('$5', ''), (SELECT employee_id FROM employee_identities WHERE identity = '$6'),
		  'alerts', 0, 0, now() - interval '$7', now() - interval '$7',
		  now() - interval '$7' + interval '40 seconds', :'title');
	SQL
}

# alert_with_escalation ID: an alert row and its open escalation.
alert_with_escalation() {
	alert_row "$1" ssh-login high escalated denied alice '1 minute' 'SSH from a new country'
	sql "INSERT INTO escalations (alert_id, reason) VALUES ('$1', 'denied')"
}

# console_npm: the console tests' pinned node packages (tests/browser's
# lock file) in var/npm-browser, installed on first use; prints the
# node_modules path.
console_npm() {
	local npm_dir="$SB_SOURCE_DIR/var/npm-browser"
	if [[ ! -d $npm_dir/node_modules/puppeteer-core ]] ||
		! cmp -s "$SB_SOURCE_DIR/tests/browser/package-lock.json" "$npm_dir/package-lock.json"; then
		mkdir -p "$npm_dir"
		cp "$SB_SOURCE_DIR/tests/browser/package.json" "$SB_SOURCE_DIR/tests/browser/package-lock.json" "$npm_dir/"
		npm ci --prefix "$npm_dir" --no-audit --no-fund --loglevel=error >&2
	fi
	echo "$npm_dir/node_modules"
}
