#!/usr/bin/env bash
# What the Slack conversation tests (0010, 0011) cover, on Mattermost, on
# the real stack (sb-ingest, sb-prompt, sb-gateway, sb-response,
# sb-escalation; Mattermost played by the fake): silence gets a reminder
# post in the DM, then a no_response escalation, outcome and report in the
# security channel (the title's & and < shown as they are, not as Slack's
# entities), and a late click changes nothing; three wrong codes
# (by the code dialog) end in second_factor_failed and a report; the
# commands by /securitybot (help, status, an absurd ignore refused, ignore
# 2h recorded, test sends a test alert through the whole pipeline, free
# text not understood, stop and start), one DM reply each; the digest is
# posted in the security channel.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/fake_mattermost.sh"
. "$(dirname "$0")/lib/totp.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 3
A=a1111111111111111111111111 B=b2222222222222222222222222 C=c3333333333333333333333333
SEC=sec0channel000000000000000
import_people alice:$A bob:$B carol:$C
totp_setup alice
export SECURITYBOT_REQUIRE_2FA=false

start_fake_mattermost
mm_secrets
unset SLACK_SIGNING_SECRET SLACK_SIGNING_SECRET_FILE
start_gateway "$T_DIR/sb-gateway.log" MATTERMOST_COMMAND_TOKEN_FILE="$T_DIR/cmd-token"
GW=http://127.0.0.1:$GW_PORT
mm_post config "{\"users\": {\"alice@example.com\": \"$A\", \"bob@example.com\": \"$B\",
  \"carol@example.com\": \"$C\"}, \"channels\": [\"$SEC\"],
  \"allowed_untrusted_internal_connections\": \"127.0.0.1\",
  \"commands\": {\"securitybot\": {\"url\": \"$GW/mattermost/commands\", \"token\": \"$CMD_TOKEN\"}}}" >/dev/null
export SECURITYBOT_CHAT=mattermost MATTERMOST_URL=$MM_URL MATTERMOST_BOT_TOKEN_FILE=$T_DIR/mm-token
export SECURITYBOT_PUBLIC_URL=$GW SECURITYBOT_SECURITY_CHANNEL=$SEC SECURITYBOT_COMMENT_WINDOW=2s
# silence is tested on low alerts: reminded after 2 s, escalated after 6 s;
# the digest of the minute that ended is posted at start
export SECURITYBOT_REMIND_AFTER_LOW=2s SECURITYBOT_ESCALATE_AFTER_LOW=6s SECURITYBOT_DIGEST_EVERY=1m
start_ingest
sb_start_worker "$T_DIR/sb-prompt.log" sb-prompt
sb_start_worker "$T_DIR/sb-response.log" sb-response
sb_start_worker "$T_DIR/sb-escalation.log" sb-escalation

alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity "${4:-medium}"; }
sent_sql() { echo "SELECT count(*) FROM alerts WHERE id = '$1' AND chat_ts IS NOT NULL"; }
post_of() { sql "SELECT chat_ts FROM alerts WHERE id = '$1'"; }
click() { # click USER ALERT ACTION_ID: prints the integration's status
	mm_post click "{\"post_id\": \"$(post_of "$2")\", \"user_id\": \"$1\", \"action_id\": \"$3\"}" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])'
}
# cmd USER TEXT: the user types TEXT; prints the status
cmd() {
	python3 -c 'import json, sys; print(json.dumps({"user_id": sys.argv[1], "text": sys.argv[2]}))' \
		"$1" "$2" >"$T_DIR/cmd.json"
	mm_post command "@$T_DIR/cmd.json" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])'
}
submit() { mm_post submit_dialog "{\"submission\": {\"code\": \"$1\"}}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["status"])'; }
in_sec() { mm_q posts "sum(1 for p in d['posts'] if p['channel_id'] == '$SEC' and $1)"; }
# a digest may name the alert too (one may be posted at any minute's end)
reports_about() { in_sec "'$1' in p['message'] and not p['message'].startswith('*securitybot digest*')"; }
texts_to() { # the bot's texts (not prompts) in a user's DM, one per line
	local dm
	dm=$(mm_q dms "d['dms']['$1']")
	mm_q posts "'\\n'.join(p['message'].replace('\\n', ' ') for p in d['posts'] if p['channel_id'] == '$dm' and not p['props'].get('attachments'))"
}
last_text() { texts_to "$1" | tail -n 1; }
wait_text() { # wait_text USER COUNT
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(texts_to "$1" | grep -c .) -ge $2 ]] && return 0
		sleep 0.1
	done
	return 1
}

# ---- (1) the digest of the minute that ended, in the security channel ----
wait_for "SELECT count(*) FROM digests" 1 30
for ((i = 0; i < 100; i++)); do [[ $(in_sec "p['message'].startswith('*securitybot digest*')") -ge 1 ]] && break; sleep 0.1; done
check "$(in_sec "p['message'].startswith('*securitybot digest*') and '\`\`\`' in p['message']")" 1 "one digest post, the report in a code block"

# ---- (2) silence: a reminder, then no_response ----
c1=$(alert carol usb "USB drive & key <8GB> mounted" low)
wait_for "$(sent_sql "$c1")" 1 30
wait_for "SELECT count(*) FROM alerts WHERE id = '$c1' AND reminded_at IS NOT NULL" 1 30
wait_text "$C" 1 || true
check "$(texts_to "$C" | grep -c '^Reminder:')" 1 "one reminder post in carol's DM"
delivered "$c1"
check "$(on_topic escalations "$c1" | field "m['reason'], m['answered_at']")" "('no_response', None)" "no_response escalation"
wait_topic outcomes "$c1" 1 || true
check "$(on_topic outcomes "$c1" | field "m['outcome'], m['answer'], m['second_factor']")" "('no_response', 'none', 'not_attempted')" "outcome no_response"
for ((i = 0; i < 100; i++)); do [[ $(reports_about "$c1") -ge 1 ]] && break; sleep 0.1; done
check "$(reports_about "$c1")" 1 "one report in the security channel"
# the report comes escaped for Slack: Mattermost shows & and <, not entities
check "$(in_sec "'$c1' in p['message'] and not p['message'].startswith('*securitybot digest*') and 'drive & key' in p['message'] and '&amp;' not in p['message'] and '&lt;' not in p['message']")" 1 "the report shows & and < as they are"
check "$(sql "SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE alert_id = '$c1'")" \
	"prompt_claimed,prompt_sent,reminded,escalation_requested,escalated" "audit trail of silence"
st=$(click "$C" "$c1" sbconfirm)
if [[ $st == 200 ]]; then handled 1; fi
check "$(sql "SELECT status FROM alerts WHERE id = '$c1'")" escalated "a late click changes nothing"

# ---- (3) three wrong codes by the dialog: second_factor_failed ----
n=$(sql "SELECT count(*) FROM responses")
a1=$(alert alice r1 "Alice's alert" medium)
wait_for "$(sent_sql "$a1")" 1 30
check "$(click "$A" "$a1" sbconfirm)" 200 "alice clicks Yes"
handled $((n + 1))
wait_for "SELECT count(*) FROM alerts WHERE id = '$a1' AND status = 'awaiting_code'" 1 30
check "$(mm_q dialogs "len(d['dialogs'])")" 1 "the code dialog opened"
k=1
for c in 000000 111111 222222; do
	check "$(submit $c)" 200 "wrong code $k submitted"
	handled $((n + 1 + k))
	k=$((k + 1))
done
wait_for "SELECT status || '/' || status_reason FROM alerts WHERE id = '$a1'" "escalated/second_factor_failed" 30
wait_topic outcomes "$a1" 1 || true
check "$(on_topic outcomes "$a1" | field "m['outcome'], m['second_factor']")" "('second_factor_failed', 'failed')" "outcome second_factor_failed"
for ((i = 0; i < 100; i++)); do [[ $(reports_about "$a1") -ge 1 ]] && break; sleep 0.1; done
check "$(reports_about "$a1")" 1 "reported in the security channel"

# ---- (4) commands by /securitybot, one reply each ----
b1=$(alert bob r2 "Bob's alert" medium)
wait_for "$(sent_sql "$b1")" 1 30
check "$(click "$B" "$b1" sbdeny)" 200 "bob clicks No (the last rule he was asked about: r2)"
delivered "$b1"
wait_text "$B" 1 || true
n=$(sql "SELECT count(*) FROM responses") t=$(texts_to "$B" | grep -c .)
say() { # say TEXT: bob types /securitybot TEXT; waits for the reply
	check "$(cmd "$B" "/securitybot $1")" 200 "/securitybot $1"
	n=$((n + 1)) t=$((t + 1))
	handled $n
	wait_text "$B" $t || true
}
sleep 2 # the comment window (2 s) after his "no" closes: what follows are commands
say help
check "$(last_text "$B" | grep -c "^I'm securitybot: I ask you")" 1 "help"
say status
check "$(last_text "$B")" "You have no open questions. Thank you!" "status"
say "ignore 99999h"
check "$(last_text "$B")" "I can snooze a rule for at most 4 hours." "absurd ignore refused"
say "ignore 2h"
check "$(sql "SELECT rule || ' ' || (until - created_at) || ' ' || created_by FROM ignore_rules")" "r2 02:00:00 chat:$B" "ignore 2h recorded for the last rule"
check "$(last_text "$B")" 'OK: I won'"'"'t ask you about "r2" for 2 hours.' "ignore confirmed"
say "what is this"
check "$(last_text "$B")" "Sorry, I didn't understand that. Try *help*." "free text not understood"
# SECURITYBOT_REQUIRE_2FA=false: stop and start apply at once (0028 covers the factor)
say stop
check "$(sql "SELECT opted_out FROM employees WHERE username = 'bob'")" t "stop: bob opted out"
check "$(last_text "$B" | grep -c "^OK: I won't ask you anymore")" 1 "stop confirmed"
say start
check "$(sql "SELECT opted_out FROM employees WHERE username = 'bob'")" f "start: bob opted back in"
check "$(last_text "$B")" "Welcome back: I'll ask you about your alerts again." "start confirmed"
for ((i = 0; i < 100; i++)); do [[ $(in_sec "p['message'].startswith('bob opted back in')") -ge 1 ]] && break; sleep 0.1; done
check "$(in_sec "p['message'].startswith('bob opted')")" 2 "both posted in the security channel"
check "$(cmd "$B" "/securitybot test")" 200 "/securitybot test"
wait_for "SELECT count(*) FROM alerts WHERE rule = 'securitybot-test' AND chat_ts IS NOT NULL" 1 30
check "$(sql "SELECT username || ' ' || severity || ' ' || chat_channel FROM alerts WHERE rule = 'securitybot-test'")" \
	"bob low $(mm_q dms "d['dms']['$B']")" "a test alert through the whole pipeline, posted in bob's DM"

check "$(mm_q calls "sorted({(c['status'], c.get('error', '')) for c in d['calls'] if c['status'] >= 300})")" '[]' "no call refused"
check "$(cat "$T_DIR"/*.log | grep -c -e "$MM_SECRET" -e "$MM_TOKEN" -e "$CMD_TOKEN" || true)" 0 "no token or secret in any log"
finish
