#!/usr/bin/env bash
# The code dialog on Mattermost, on the real stack (sb-ingest, sb-prompt,
# sb-gateway, sb-response; Mattermost played by the fake): a "yes" that
# needs a TOTP code makes sb-response open a dialog
# (POST /api/v4/actions/dialogs/open with the click's trigger_id) whose
# state is a MAC'd context; its submission, performed by the fake against
# the gateway's /mattermost/dialogs, becomes the same code event as a typed
# code: a wrong code is counted, the right one confirms. A forged state,
# another user's submission and a button's context as state are refused
# (403) and publish nothing; a cancelled dialog publishes nothing; a
# replayed submission applies once. A trigger past its 3 s: Mattermost
# refuses the dialog, the DM asks for the code and the slash command
# carries it. No code, token or secret in any log.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/fake_mattermost.sh"
. "$(dirname "$0")/lib/totp.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 3
A=a1111111111111111111111111 M=m9999999999999999999999999
import_people alice:$A mallory:$M
totp_setup alice mallory

start_fake_mattermost
mm_secrets
unset SLACK_SIGNING_SECRET SLACK_SIGNING_SECRET_FILE
start_gateway "$T_DIR/sb-gateway.log" MATTERMOST_COMMAND_TOKEN_FILE="$T_DIR/cmd-token"
GW=http://127.0.0.1:$GW_PORT
mm_post config "{\"users\": {\"alice@example.com\": \"$A\", \"mallory@example.com\": \"$M\"},
  \"allowed_untrusted_internal_connections\": \"127.0.0.1\",
  \"commands\": {\"securitybot\": {\"url\": \"$GW/mattermost/commands\", \"token\": \"$CMD_TOKEN\"}}}" >/dev/null
export SECURITYBOT_CHAT=mattermost MATTERMOST_URL=$MM_URL MATTERMOST_BOT_TOKEN_FILE=$T_DIR/mm-token
export SECURITYBOT_PUBLIC_URL=$GW
start_ingest
sb_start_worker "$T_DIR/sb-prompt.log" sb-prompt
sb_start_worker "$T_DIR/sb-response.log" sb-response

alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity "${4:-medium}"; }
sent_sql() { echo "SELECT count(*) FROM alerts WHERE id = '$1' AND chat_ts IS NOT NULL"; }
post_of() { sql "SELECT chat_ts FROM alerts WHERE id = '$1'"; }
click() { # click USER ALERT ACTION_ID [TRIGGER_AGE]: prints the integration's status
	mm_post click "{\"post_id\": \"$(post_of "$2")\", \"user_id\": \"$1\", \"action_id\": \"$3\",
	  \"trigger_age\": ${4:-0}}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])'
}
# submit JSON: the fake submits the last dialog with these arguments; prints the status
submit() { mm_post submit_dialog "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])'; }
texts_to() {
	local dm
	dm=$(mm_q dms "d['dms']['$1']")
	mm_q posts "'\\n'.join(p['message'].replace('\\n', ' ') for p in d['posts'] if p['channel_id'] == '$dm' and not p['props'].get('attachments'))"
}
wait_text() { # wait_text USER COUNT
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(texts_to "$1" | grep -c .) -ge $2 ]] && return 0
		sleep 0.1
	done
	return 1
}
dialogs() { mm_q dialogs "len(d['dialogs'])"; }

# ---- (1) a "yes" opens the code dialog ----
a1=$(alert alice ssh-login "SSH login from a new country" high)
wait_for "$(sent_sql "$a1")" 1 30
check "$(click "$A" "$a1" sbconfirm)" 200 "alice clicks Yes"
handled 1
wait_for "SELECT status FROM alerts WHERE id = '$a1'" awaiting_code 30
wait_text "$A" 1 || true
check "$(dialogs)" 1 "a dialog opened with the click's trigger"
check "$(mm_q dialogs "(d['dialogs'][0]['user_id'], d['dialogs'][0]['url'], d['dialogs'][0]['dialog']['callback_id'], [e['name'] for e in d['dialogs'][0]['dialog']['elements']])")" \
	"('$A', '$GW/mattermost/dialogs', 'sbcode', ['code'])" "for alice, one input, submitted to the gateway"
check "$(mm_q dialogs "sorted(json.loads(d['dialogs'][0]['dialog']['state']))")" \
	'["action", "alert_id", "expires", "mac", "user_id"]' "its state is a MAC'd context"
check "$(texts_to "$A" | grep -c 'window that opened')" 1 "the DM points at the dialog (and the slash command)"

# ---- (2) refused or cancelled: nothing published ----
state=$(mm_q dialogs "d['dialogs'][0]['dialog']['state']")
forged=$(python3 -c 'import json, sys; s = json.loads(sys.argv[1]); s["expires"] += 3600; print(json.dumps(json.dumps(s)))' "$state")
check "$(submit "{\"state\": $forged, \"submission\": {\"code\": \"123456\"}}")" 403 "a state with a longer expiry: 403"
check "$(submit "{\"user_id\": \"$M\", \"submission\": {\"code\": \"123456\"}}")" 403 "mallory submitting alice's dialog: 403"
button=$(mm_q clicks "json.dumps(json.dumps(d['clicks'][0]['request']['context']))")
check "$(submit "{\"state\": $button, \"submission\": {\"code\": \"123456\"}}")" 403 "a button's context as the state: 403"
check "$(submit '{"cancelled": true}')" 200 "cancelled: 200"
check "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d '{"user_id": 3}' "$GW/mattermost/dialogs")" 400 "malformed: 400"
sleep 1
check "$(sql "SELECT count(*) FROM responses")" 1 "nothing published for them"
check "$(grep -o '"reason":"[a-z_]*"' "$T_DIR/sb-gateway.log" | sort -u | tr '\n' ' ')" \
	'"reason":"bad_mac" "reason":"cancelled" "reason":"missing_field" "reason":"not_a_dialog" "reason":"other_user" ' "the gateway logged why"

# ---- (3) a wrong code counts, a replay applies once, the right code confirms ----
check "$(submit '{"submission": {"code": "000000"}}')" 200 "a wrong code submitted: 200"
handled 2
wait_for "SELECT code_failures FROM alerts WHERE id = '$a1'" 1 30
replay=$(mm_q dialogs "json.dumps(d['submissions'][-1]['request'])")
check "$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' -d "$replay" "$GW/mattermost/dialogs")" 200 "the same submission again: 200"
sleep 1
check "$(sql "SELECT count(*) || '/' || (SELECT code_failures FROM alerts WHERE id = '$a1') FROM responses")" 2/1 "recorded and counted once"
fresh_step
good=$(code alice)
check "$(submit "{\"submission\": {\"code\": \"$good\"}}")" 200 "the right code submitted"
handled 3
wait_for "SELECT status || '/' || second_factor || '/' || second_factor_method FROM alerts WHERE id = '$a1'" "confirmed/passed/totp" 30
check "$(sql "SELECT kind || '/' || platform || '/' || (alert_id IS NULL) FROM responses ORDER BY recorded_at DESC LIMIT 1")" \
	"text/mattermost/true" "the same text event a typed code makes"
check "$(sql "SELECT count(*) FROM responses WHERE text LIKE '%$good%'")" 0 "the code is not stored"

# ---- (4) a trigger past its 3 s: the DM and the slash command ----
m1=$(alert mallory r2 "Mallory's alert" medium)
wait_for "$(sent_sql "$m1")" 1 30
check "$(click "$M" "$m1" sbconfirm 10)" 200 "mallory clicks Yes, the trigger already old"
handled 4
wait_for "SELECT status FROM alerts WHERE id = '$m1'" awaiting_code 30
wait_text "$M" 1 || true
check "$(dialogs)" 1 "no second dialog"
check "$(mm_q calls "[c['error'] for c in d['calls'] if c['path'] == '/actions/dialogs/open' and c['status'] != 200]")" \
	'["interactive_message.decode_trigger_id.expired"]' "Mattermost refused the expired trigger"
check "$(texts_to "$M" | grep -c 'reply with the 6-digit')" 1 "the DM asks for the code"
fresh_step
good=$(code mallory)
mm_post command "{\"user_id\": \"$M\", \"text\": \"/securitybot $good\"}" >/dev/null
handled 5
wait_for "SELECT status || '/' || second_factor FROM alerts WHERE id = '$m1'" "confirmed/passed" 30
check "$(grep -c 'no code dialog' "$T_DIR/sb-response.log")" 1 "sb-response logged the fallback"

# ---- (5) a "no" opens the dialog for the words ----
a3=$(alert alice r3 "Alice's third" high)
wait_for "$(sent_sql "$a3")" 1 30
check "$(click "$A" "$a3" sbdeny)" 200 "alice clicks No"
handled 6
for ((i = 0; i < 100; i++)); do [[ $(dialogs) -ge 2 ]] && break; sleep 0.1; done
check "$(mm_q dialogs "(len(d['dialogs']), d['dialogs'][-1]['dialog']['callback_id'], [(e['name'], e['type']) for e in d['dialogs'][-1]['dialog']['elements']], json.loads(d['dialogs'][-1]['dialog']['state'])['action'])")" \
	"(2, 'sbwords', [('words', 'textarea')], 'words')" "a textarea for the words, its state for words"
check "$(submit '{"submission": {"words": "I was at lunch, not in Paris"}}')" 200 "alice's words submitted"
handled 7
wait_for "SELECT comment FROM alerts WHERE id = '$a3'" "I was at lunch, not in Paris" 30
check "$(submit '{"submission": {"code": "123456"}}')" 400 "a code in the words dialog: 400"

check "$(cat "$T_DIR"/*.log | grep -c -e "$MM_SECRET" -e "$MM_TOKEN" -e "$CMD_TOKEN" -e '"000000"' || true)" 0 "no code, token or secret in any log"
finish
