# shellcheck shell=bash
# socket_user.sh: Slack's side of a conversation test in Socket Mode: sb-gateway
# dials the fake's Socket Mode server (tests/fakes/fake_slack_socket.py) and
# clicks and direct messages reach it as envelopes. Source after
# fake_slack.sh and gateway.sh. It brings slack_user.sh's start_worker and
# request numbers, and replaces its click and dm with the same ones over
# envelopes (same payloads, so the same event ids).

# shellcheck source=slack_user.sh
. "$(dirname "${BASH_SOURCE[0]}")/slack_user.sh"

SOCKET_APP_TOKEN=xapp-fake-app-token
printf '%s\n' "$SOCKET_APP_TOKEN" >"$T_DIR/app-token"
chmod 600 "$T_DIR/app-token"
unset SLACK_SIGNING_SECRET SLACK_SIGNING_SECRET_FILE # Socket Mode needs none

# start_socket_gateway LOG [ENV=VALUE...]: sb-gateway in Socket Mode with the
# app token, once its connection is ready; sets GW_PID and GW_PORT
start_socket_gateway() {
	local logf=$1
	shift
	start_gateway "$logf" SECURITYBOT_SLACK_MODE=socket SLACK_APP_TOKEN_FILE="$T_DIR/app-token" "$@"
	sb_wait_log "$logf" 'connection [0-9]+ ready' 20 "$GW_PID" >/dev/null || exit 1
}

# sock VERB JSON: POST /_fake/socket/VERB; prints the answer
sock() { curl -fsS -X POST -H 'Content-Type: application/json' -d "$2" "$FAKE_CTL/socket/$1"; }
# sock_state EXPR: a Python expression over GET /_fake/socket/state (as `d`)
sock_state() { fake_q socket/state "$1"; }
# envelope TYPE PAYLOAD: sends it; prints its envelope id
envelope() {
	sock send "{\"type\": \"$1\", \"payload\": $2}" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["envelope_id"])'
}

# click USER ACTION ALERT: a button click (interactive envelope); prints its
# envelope id; the payload is kept in $T_DIR/last-click for a retry
click() {
	printf '{"type":"block_actions","user":{"id":"%s","username":"x"},"actions":[{"action_id":"sb_%s","block_id":"b1","value":"%s","type":"button","text":{"type":"plain_text","text":"x"},"action_ts":"1800000000.%06d"}]}' \
		"$1" "$2" "$3" "$(next_n)" >"$T_DIR/last-click"
	envelope interactive "$(cat "$T_DIR/last-click")"
}
# dm USER TEXT: a direct message to the bot (events_api envelope, event id
# EvS<pid>x<n>); prints its envelope id
dm() {
	envelope events_api "$(python3 -c 'import json, sys
print(json.dumps({"type": "event_callback", "team_id": "T1", "event_id": sys.argv[1],
  "event_time": 1800000000, "event": {"type": "message", "channel": "D1",
  "user": sys.argv[2], "text": sys.argv[3], "ts": "1.000100", "channel_type": "im"}}))' \
		"EvS$$x$(next_n)" "$1" "$2")"
}

# Every envelope sent so far acknowledged (waits up to $1 s, default 30).
acked_all() { [[ $(sock_state "len(d['pending'])") == 0 ]]; }
wait_acked() { sb_wait_until "${1:-30}" "" acked_all || true; }
