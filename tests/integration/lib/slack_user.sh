# shellcheck shell=bash
# slack_user.sh: the workers of a conversation test, and Slack's side of it:
# signed HTTP callbacks to sb-gateway as Slack sends them (clicks and direct
# messages). Source after common.sh; the callers set SECRET (the signing
# secret) and start sb-gateway (GW_PORT) before the first request.

# start_worker NAME [ENV=VALUE...]: one worker, its log $T_DIR/NAME.N.log; sets WORKER_PID
start_worker() {
	local name=$1 n=${#T_PIDS[@]}
	shift
	sb_start_worker "$T_DIR/$name.$n.log" "$name" "$@"
	# shellcheck disable=SC2034 # read by the test that sources this file
	WORKER_PID=$SB_PID
}

# Each request gets a number of its own (a file: the helpers run in $(...)
# subshells), so every event id differs unless a test repeats one.
echo 0 >"$T_DIR/n"
next_n() {
	local n
	n=$(($(cat "$T_DIR/n") + 1))
	echo "$n" >"$T_DIR/n"
	echo "$n"
}
# req ARGS...: tests/integration/lib/slack_request.py signed with $SECRET
req() {
	SLACK_SIGNING_SECRET=$SECRET python3 "$SB_SOURCE_DIR/tests/integration/lib/slack_request.py" \
		"$GW_PORT" "$@"
}
# click USER ACTION ALERT [SIGN [TS_OFFSET]]: a button click; prints the HTTP
# status; the payload is kept in $T_DIR/last-click for a retry
click() {
	printf '{"type":"block_actions","user":{"id":"%s","username":"x"},"actions":[{"action_id":"%s","block_id":"b1","value":"%s","type":"button","text":{"type":"plain_text","text":"x"},"action_ts":"1800000000.%06d"}]}' \
		"$1" "sb_$2" "$3" "$(next_n)" >"$T_DIR/last-click"
	req --payload "$(cat "$T_DIR/last-click")" --sign "${4:-good}" --ts-offset "${5:-0}" | cut -f1
}
# dm USER TEXT: a direct message to the bot; prints the HTTP status
dm() {
	local body
	body=$(python3 -c 'import json, sys, time
print(json.dumps({"type": "event_callback", "team_id": "T1", "event_id": sys.argv[1],
  "event_time": int(time.time()), "event": {"type": "message", "channel": "D1",
  "user": sys.argv[2], "text": sys.argv[3], "ts": "1.000100", "channel_type": "im"}}))' \
		"Ev$$x$(next_n)" "$1" "$2")
	req --body "$body" | cut -f1
}

# said USER TEXT / clicked USER ACTION ALERT: a direct message or a click,
# answered 200, then waited for until sb-response recorded it (the count in
# $events; a test that sends events another way adds them to it)
events=0
said() {
	events=$((events + 1))
	check "$(dm "$1" "$2")" 200 "$1 writes '$2'"
	wait_for "SELECT count(*) FROM responses" "$events" 30
}
clicked() {
	events=$((events + 1))
	check "$(click "$1" "$2" "$3")" 200 "$1 clicks $2"
	wait_for "SELECT count(*) FROM responses" "$events" 30
}
