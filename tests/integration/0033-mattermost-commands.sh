#!/usr/bin/env bash
# The /securitybot slash command on Mattermost, on the real stack with the
# fake Mattermost running the command against sb-gateway as the server
# does: with Mattermost's token it becomes the same "text" event as a
# Slack direct message, so the second factor's code after a "yes", the
# words after a "no" and the commands (help, status, ignore) work without
# the bot reading DMs; the author sees an ephemeral answer; a wrong token is
# 401 and publishes nothing; a repeated request applies once; without
# MATTERMOST_COMMAND_TOKEN the path answers 404; no code or token in a log.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/fake_mattermost.sh"
. "$(dirname "$0")/lib/totp.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 3
A=a1111111111111111111111111 B=b2222222222222222222222222
import_people alice:$A bob:$B
totp_setup alice

start_fake_mattermost
mm_secrets
printf 'signing-secret-0123456789\n' >"$T_DIR/signing-secret"
chmod 600 "$T_DIR/signing-secret"
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret

# ---- without the token: 404 ----
start_gateway "$T_DIR/sb-gateway.0.log"
check "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d "token=$CMD_TOKEN&user_id=$A&trigger_id=t0&text=help" "http://127.0.0.1:$GW_PORT/mattermost/commands")" \
	404 "no MATTERMOST_COMMAND_TOKEN: 404"
stop_worker "$GW_PID"

start_gateway "$T_DIR/sb-gateway.log" MATTERMOST_COMMAND_TOKEN_FILE="$T_DIR/cmd-token"
mm_post config "{\"users\": {\"alice@example.com\": \"$A\", \"bob@example.com\": \"$B\"},
  \"allowed_untrusted_internal_connections\": \"127.0.0.1\",
  \"commands\": {\"securitybot\": {\"url\": \"http://127.0.0.1:$GW_PORT/mattermost/commands\", \"token\": \"$CMD_TOKEN\"}}}" >/dev/null
export SECURITYBOT_CHAT=mattermost MATTERMOST_URL=$MM_URL MATTERMOST_BOT_TOKEN_FILE=$T_DIR/mm-token
export SECURITYBOT_PUBLIC_URL=http://127.0.0.1:$GW_PORT SECURITYBOT_COMMENT_WINDOW=30s
start_ingest
sb_start_worker "$T_DIR/sb-prompt.log" sb-prompt
sb_start_worker "$T_DIR/sb-response.log" sb-response

alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity "${4:-medium}"; }
sent_sql() { echo "SELECT count(*) FROM alerts WHERE id = '$1' AND chat_ts IS NOT NULL"; }
post_of() { sql "SELECT chat_ts FROM alerts WHERE id = '$1'"; }
click() { # click USER ALERT ACTION_ID: prints the integration's status
	mm_post click "{\"post_id\": \"$(post_of "$2")\", \"user_id\": \"$1\", \"action_id\": \"$3\"}" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])'
}
# cmd USER TEXT [TRIGGER_ID [TOKEN]]: the user types TEXT; prints the status
cmd() {
	python3 -c 'import json, sys
a = {"user_id": sys.argv[1], "text": sys.argv[2]}
if sys.argv[3]: a["trigger_id"] = sys.argv[3]
if sys.argv[4]: a["token"] = sys.argv[4]
print(json.dumps(a))' "$1" "$2" "${3:-}" "${4:-}" >"$T_DIR/cmd.json"
	mm_post command "@$T_DIR/cmd.json" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])'
}
# the bot's texts (not prompts) in a user's DM, one per line
texts_to() {
	local dm
	dm=$(mm_q dms "d['dms']['$1']")
	mm_q posts "'\\n'.join(p['message'].replace('\\n', ' ') for p in d['posts'] if p['channel_id'] == '$dm' and not p['props'].get('attachments'))"
}
wait_text() { # wait_text USER COUNT: until the user's DM has COUNT texts
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(texts_to "$1" | grep -c .) -ge $2 ]] && return 0
		sleep 0.1
	done
	return 1
}

# ---- (1) a "yes", then the code by the slash command ----
a1=$(alert alice ssh-login "SSH login from a new country" high)
wait_for "$(sent_sql "$a1")" 1 30
check "$(click "$A" "$a1" sbconfirm)" 200 "alice clicks Yes"
handled 1
wait_for "SELECT status FROM alerts WHERE id = '$a1'" awaiting_code 30
wait_text "$A" 1 || true
fresh_step
good=$(code alice)
check "$(cmd "$A" "/securitybot $good")" 200 "alice types /securitybot <code>"
check "$(mm_q commands "json.loads(d['commands'][-1]['answer'])['response_type']")" ephemeral "the answer is ephemeral"
handled 2
wait_for "SELECT status || '/' || second_factor FROM alerts WHERE id = '$a1'" "confirmed/passed" 30
wait_topic outcomes "$a1" 1 || true
check "$(on_topic outcomes "$a1" | field "m['outcome'], m['second_factor']")" "('confirmed', 'passed')" "confirmed with the code"
check "$(sql "SELECT count(*) FROM responses WHERE text LIKE '%$good%'")" 0 "the code is not stored"

# ---- (2) a "no", then the words by the slash command ----
b1=$(alert bob r1 "Bob's alert" high)
wait_for "$(sent_sql "$b1")" 1 30
check "$(click "$B" "$b1" sbdeny)" 200 "bob clicks No"
handled 3
wait_topic escalation-requests "$b1" 1 || true
check "$(on_topic escalation-requests "$b1" | field "m['reason']")" denied "escalation request at once"
check "$(cmd "$B" "/securitybot I was at lunch")" 200 "bob explains by /securitybot"
handled 4
wait_topic outcomes "$b1" 1 || true
check "$(on_topic outcomes "$b1" | field "m['outcome'], m['comment']")" "('denied', 'I was at lunch')" "the outcome carries his words"

# ---- (3) commands ----
n=$(texts_to "$B" | grep -c .)
check "$(cmd "$B" "/securitybot")" 200 "a bare /securitybot"
handled 5
wait_text "$B" $((n + 1)) || true
check "$(texts_to "$B" | tail -n 1 | grep -c -i 'status')" 1 "is help (it names the commands)"
check "$(cmd "$B" "/securitybot ignore 2h" t-ignore)" 200 "/securitybot ignore 2h"
handled 6
check "$(cmd "$B" "/securitybot ignore 2h" t-ignore)" 200 "the same request again"
sleep 1
check "$(sql "SELECT count(*) FROM responses")" 6 "applied once"
wait_text "$B" $((n + 2)) || true
check "$(cmd "$B" "/securitybot status")" 200 "/securitybot status"
handled 7
wait_text "$B" $((n + 3)) || true
check "$(texts_to "$B" | grep -c .)" $((n + 3)) "one reply per command in bob's DM"

# ---- (4) a wrong token ----
check "$(cmd "$B" "/securitybot stop" t-forged wrong-token-0123456789)" 401 "a wrong token: 401"
sleep 1
check "$(sql "SELECT count(*) FROM responses")" 7 "nothing published"
check "$(grep -c '"msg":"mattermost command refused (401)' "$T_DIR/sb-gateway.log")" 1 "a log line"

check "$(cat "$T_DIR"/*.log | grep -c -e "$CMD_TOKEN" -e "$MM_TOKEN" -e "$good" || true)" 0 "no token or code in any log"
finish
