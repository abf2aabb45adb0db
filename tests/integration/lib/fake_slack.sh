# shellcheck shell=bash disable=SC2034 # sets variables for the tests
# fake_slack.sh: runs tests/fakes/fake_slack.py for a test and reads its
# control API. Source after common.sh.

# Starts the fake on a free port; sets FAKE_PID, FAKE_URL (the API base for
# SLACK_API_URL) and FAKE_CTL (the control API).
start_fake_slack() {
	sb_start_fake fake_slack "$SB_SOURCE_DIR/tests/fakes/fake_slack.py"
	FAKE_PID=$SB_PID
	FAKE_URL="http://127.0.0.1:$SB_FAKE_PORT/api"
	FAKE_CTL="http://127.0.0.1:$SB_FAKE_PORT/_fake"
	FAKE_TOKEN=xoxb-fake-token
}

fake_post() { curl -fsS -X POST -H 'Content-Type: application/json' -d "$2" "$FAKE_CTL/$1" >/dev/null; }

# Runs a Python expression over the control API's answer to GET /_fake/$1,
# bound to `d`; prints the result.
fake_q() {
	curl -fsS "$FAKE_CTL/$1" | python3 -c 'import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(r if not isinstance(r, (list, dict)) else json.dumps(r))' "$2"
}

# How many calls of method the fake answered with ok:true.
fake_ok_calls() { fake_q calls "sum(1 for c in d['calls'] if c['method'] == '$1' and c['ok'])"; }

stop_fake_slack() { kill -TERM "$FAKE_PID" 2>/dev/null || true; wait "$FAKE_PID" 2>/dev/null || true; }
