#!/usr/bin/env bash
# What the Slack conversation tests (0010, 0011, 0028) cover over HTTP
# callbacks and 0026 does not, in Slack Socket Mode, on the real stack
# (sb-ingest, sb-prompt, sb-gateway with SECURITYBOT_SLACK_MODE=socket,
# sb-response, sb-escalation; Slack played by the fake and its Socket Mode
# server): another employee's click refused and audited, a stranger's
# message refused; silence gets a reminder, then a no_response escalation,
# outcome and report, and a late click changes nothing; the commands
# (help, status, an absurd ignore, ignore without a factor refused, free
# text, test through the whole pipeline); ignore 2h, stop and start
# applied only after the TOTP code, posted to the security channel, the
# muted rule's next alert suppressed; the code modal (a click's
# trigger_id, views.open, the view_submission envelope: a wrong code, then
# "Enter code" and the right one); three wrong codes: second_factor_failed;
# a click replayed by Slack (the same envelope again, and the same click in
# a new envelope) decides once. The code after a "yes" and the words after
# a "no" by message are in 0026.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/socket_user.sh"
. "$(dirname "$0")/lib/totp.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 3
import_people alice:U001 bob:U002 carol:U003 dave:U004 erin:U005 frank:U006 grace:U007 mallory:U009
totp_setup alice dave erin frank

start_fake_slack
fake_post config "{\"users\": {$(for u in alice:1 bob:2 carol:3 dave:4 erin:5 frank:6 grace:7 mallory:9; do printf '"%s@example.com": "U00%s",' "${u%:*}" "${u#*:}"; done | sed 's/,$//')}, \"channels\": [\"C0SECURITY\"]}"
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN SECURITYBOT_SECURITY_CHANNEL=C0SECURITY
export SECURITYBOT_COMMENT_WINDOW=15s SECURITYBOT_DIGEST_EVERY=0
# silence is tested on low alerts: reminded after 2 s, escalated after 6 s
export SECURITYBOT_REMIND_AFTER_LOW=2s SECURITYBOT_ESCALATE_AFTER_LOW=6s

start_ingest
start_worker sb-prompt
start_worker sb-response
start_worker sb-escalation
start_socket_gateway "$T_DIR/sb-gateway.log"

alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity "${4:-medium}"; }
status_of() { sql "SELECT status FROM alerts WHERE id = '$1'"; }
sent_sql() { echo "SELECT count(*) FROM alerts WHERE id = '$1' AND chat_ts IS NOT NULL"; }
events=0
# expect_events N: N more events sent; waits until sb-response recorded them all
expect_events() {
	events=$((events + $1))
	wait_for "SELECT count(*) FROM responses" "$events" 30
}
# said USER TEXT: a direct message, recorded by sb-response
said() { dm "$1" "$2" >/dev/null && expect_events 1; }
# the texts (not prompts) the bot sent to a chat user, in order, one per line
texts_to() {
	fake_q messages "'\n'.join(m['text'].replace('\n', ' ') for m in d['messages'] if m['channel'] == '$(fake_q dms "d['dms'].get('$1', '')")' and 'blocks' not in m)"
}
last_text() { texts_to "$1" | tail -n 1; }
told() { # told USER TEXT: 1 once the last text to USER contains TEXT (waits up to 10 s)
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(last_text "$1") == *"$2"* ]] && echo 1 && return 0
		sleep 0.1
	done
	echo 0
}
security() { fake_q messages "[m['text'] for m in d['messages'] if m['channel'] == 'C0SECURITY' and '$1' in m['text']]"; }
posted() { # posted TEXT: how many posts in the security channel contain TEXT, once there is one (10 s)
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(security "$1") != "[]" ]] && break
		sleep 0.1
	done
	security "$1" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))'
}
change_of() { sql "SELECT status || ' ' || coalesce(status_reason, '-') || ' ' || coalesce(second_factor_method, '-') FROM guarded_changes WHERE employee_id = $(emp "$1") ORDER BY id DESC LIMIT 1"; }

# ---- (1) another employee's click and a stranger's message: refused ----
a1=$(alert alice ssh-login "SSH login from a new country" high)
wait_for "$(sent_sql "$a1")" 1 30
click U009 deny "$a1" >/dev/null
expect_events 1
check "$(status_of "$a1")" prompted "mallory's deny on alice's alert changed nothing"
check "$(sql "SELECT action || ' ' || (detail->>'chat_user_id') FROM audit_log WHERE alert_id = '$a1' AND action LIKE 'answer_refused%'")" \
	"answer_refused_not_owner U009" "the refusal audited"
check "$(on_topic escalation-requests "$a1" | grep -c . || true)" 0 "no escalation request from mallory's click"
dm UX42 no >/dev/null
expect_events 1
check "$(sql "SELECT count(*) FROM audit_log WHERE action = 'answer_refused' AND detail->>'reason' = 'unknown_chat_user'")" 1 "a stranger audited as unknown_chat_user"

# ---- (2) silence: a reminder, then no_response; a late click changes nothing ----
c1=$(alert carol usb "USB drive mounted" low)
wait_for "$(sent_sql "$c1")" 1 30
wait_for "SELECT count(*) FROM alerts WHERE id = '$c1' AND reminded_at IS NOT NULL" 1 30
check "$(told U003 'Reminder: could you tell me whether "USB drive mounted"')" 1 "one reminder in carol's DM"
delivered "$c1"
check "$(on_topic escalations "$c1" | field "m['reason'], m['answered_at']")" "('no_response', None)" "no_response escalation"
wait_topic outcomes "$c1" 1 || true
check "$(on_topic outcomes "$c1" | field "m['outcome'], m['answer'], m['second_factor']")" "('no_response', 'none', 'not_attempted')" "outcome no_response"
check "$(posted "$c1")" 1 "one report in the security channel"
check "$(sql "SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE alert_id = '$c1'")" \
	"prompt_claimed,prompt_sent,reminded,escalation_requested,escalated" "audit trail of silence"
click U003 confirm "$c1" >/dev/null
expect_events 1
check "$(status_of "$c1")" escalated "a late click changes nothing"
check "$(on_topic escalation-requests "$c1" | grep -c .)" 1 "still one escalation request"

# ---- (3) commands from bob (no second factor enrolled) ----
b1=$(alert bob r2 "Bob's alert" medium)
wait_for "$(sent_sql "$b1")" 1 30
click U002 confirm "$b1" >/dev/null # no factor: confirmed_unverified, so his next alert can come
expect_events 1
check "$(sql "SELECT answer || ' ' || second_factor FROM alerts WHERE id = '$b1'")" "confirm not_enrolled" "bob's yes without a factor"
wait_topic escalation-requests "$b1" 1 || true
check "$(on_topic escalation-requests "$b1" | field "m['reason'], m['priority']")" "('unverified_confirmation', 'low')" "confirmed_unverified: a low-priority escalation request"
said U002 help
check "$(told U002 "I'm securitybot: I ask you")" 1 "help"
said U002 status
check "$(told U002 'You have no open questions. Thank you!')" 1 "status"
said U002 "ignore 99999h"
check "$(told U002 'I can snooze a rule for at most 4 hours.')" 1 "absurd ignore refused"
said U002 "ignore 2h"
check "$(told U002 "You have no second factor enrolled, so I can't make this change")" 1 "ignore without a second factor refused"
check "$(sql "SELECT detail->>'reason' || ' ' || (detail->>'rule') FROM audit_log WHERE action = 'change_refused' AND employee_id = $(emp bob)")" \
	"not_enrolled r2" "the refusal audited, for the last rule"
said U002 "what is this"
check "$(told U002 "Sorry, I didn't understand that. Try *help*.")" 1 "free text not understood"
said U002 test
wait_for "SELECT count(*) FROM alerts WHERE rule = 'securitybot-test' AND chat_ts IS NOT NULL" 1 30
check "$(sql "SELECT username || ' ' || severity || ' ' || chat_channel FROM alerts WHERE rule = 'securitybot-test'")" \
	"bob low $(fake_q dms "d['dms']['U002']")" "a test alert through the whole pipeline, in bob's DM"

# ---- (4) guarded changes: ignore 2h (erin), stop and start (frank), each after the code ----
e1=$(alert erin vpn-login "VPN login" medium)
wait_for "$(sent_sql "$e1")" 1 30
said U005 "ignore 2h"
check "$(change_of erin)" "awaiting_factor - -" "erin's change waits for her code"
check "$(told U005 'wants to mute rule vpn-login for 2 h')" 1 "erin asked for her code"
check "$(sql "SELECT count(*) FROM ignore_rules")" 0 "no ignore rule before the code"
fresh_step
erin_code=$(code erin)
said U005 "$erin_code"
check "$(change_of erin)" "applied - totp" "applied after the code"
check "$(sql "SELECT rule || ' ' || (until - created_at) || ' ' || created_by FROM ignore_rules")" "vpn-login 02:00:00 chat:U005" "ignore 2h recorded for her last rule"
check "$(told U005 'OK: I won'"'"'t ask you about "vpn-login" for 2 hours.')" 1 "ignore confirmed"
check "$(posted 'erin muted rule vpn-login for 2 h (second factor: totp)')" 1 "posted to the security channel"
e2=$(alert erin vpn-login "Another VPN login" medium)
wait_for "SELECT status FROM alerts WHERE id = '$e2'" suppressed 30
said U006 stop
check "$(change_of frank)" "awaiting_factor - -" "frank's opt-out waits for his code"
fresh_step
stop_code=$(code frank -1) # the previous step: start's code (this step) stays unused
said U006 "$stop_code"
wait_for "SELECT opted_out FROM employees WHERE username = 'frank'" t 30
check "$(told U006 "OK: I won't ask you anymore")" 1 "stop confirmed"
check "$(posted 'frank opted out')" 1 "the opt-out posted"
f1=$(alert frank vpn-login "Frank's VPN login" medium)
# sb-escalation may have escalated it already
wait_for "SELECT status IN ('escalation_requested', 'escalated') || ' ' || status_reason FROM alerts WHERE id = '$f1'" "true opted_out" 30
said U006 start
check "$(told U006 'To make sure')" 1 "frank asked for his code again"
start_code=$(code frank)
said U006 "$start_code"
wait_for "SELECT opted_out FROM employees WHERE username = 'frank'" f 30
check "$(told U006 'Welcome back')" 1 "start confirmed"
check "$(posted 'frank opted back in')" 1 "the opt-in posted"
check "$(sql "SELECT string_agg(action || ':' || (detail->>'second_factor_method'), ',' ORDER BY id) FROM audit_log WHERE action IN ('ignore_rule_added', 'employee_opted_out', 'employee_opted_in')")" \
	"ignore_rule_added:totp,employee_opted_out:totp,employee_opted_in:totp" "every change audited with its factor"

# ---- (5) the code modal over envelopes; three wrong codes ----
# tclick USER ALERT TRIGGER [ACTION]: a click (sb_confirm) carrying Slack's trigger_id, recorded
tclick() {
	envelope interactive "$(printf '{"type":"block_actions","trigger_id":"%s","user":{"id":"%s"},"actions":[{"action_id":"%s","block_id":"b1","value":"%s","type":"button","action_ts":"1800000000.%06d"}]}' \
		"$3" "$1" "${4:-sb_confirm}" "$2" "$(next_n)")" >/dev/null
	expect_events 1
}
view_of() { fake_q views "[v for v in d['views'] if v['trigger_id'] == '$1']"; }
view_id() { view_of "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])'; }
submit() { # submit USER VIEW_ID ALERT CODE: the modal's submission, recorded
	envelope interactive "$(python3 -c 'import json, sys
print(json.dumps({"type": "view_submission", "user": {"id": sys.argv[1]}, "view": {
  "id": sys.argv[2], "hash": "1800000000.x", "callback_id": "sb_code", "private_metadata": sys.argv[3],
  "state": {"values": {"sb_code": {"sb_code_input": {"type": "plain_text_input", "value": sys.argv[4]}}}}}}))' \
		"$1" "$2" "$3" "$4")" >/dev/null
	expect_events 1
}
buttons_of() { # buttons_of ALERT: the action ids on its message, once it has one (10 s)
	local i q ts
	ts=$(sql "SELECT chat_ts FROM alerts WHERE id = '$1'")
	q="[e['action_id'] for m in d['messages'] if m['ts'] == '$ts' for b in m.get('blocks', []) if b['type'] == 'actions' for e in b['elements']]"
	for ((i = 0; i < 100; i++)); do
		[[ $(fake_q messages "$q") != "[]" ]] && break
		sleep 0.1
	done
	fake_q messages "$q"
}
tclick U001 "$a1" 13345224609.1.alice
check "$(status_of "$a1")" awaiting_code "alice's yes waits for the code"
check "$(view_of 13345224609.1.alice | python3 -c 'import json, sys; v = json.load(sys.stdin)[0]; print(v["callback_id"], v["private_metadata"] == sys.argv[1])' "$a1")" \
	"sb_code True" "the code modal opened for alice's alert"
submit U001 "$(view_id 13345224609.1.alice)" "$a1" 000000
check "$(sql "SELECT status || ' ' || code_failures FROM alerts WHERE id = '$a1'")" "awaiting_code 1" "a wrong code from the modal counts"
check "$(buttons_of "$a1")" '["sb_enter_code"]' "the message offers \"Enter code\""
tclick U001 "$a1" 13345224609.2.alice sb_enter_code
fresh_step
alice_code=$(code alice)
submit U001 "$(view_id 13345224609.2.alice)" "$a1" "$alice_code"
check "$(sql "SELECT status || ' ' || second_factor || ' ' || second_factor_method FROM alerts WHERE id = '$a1'")" \
	"confirmed passed totp" "confirmed by the modal's code"
check "$(sql "SELECT text FROM responses ORDER BY recorded_at DESC LIMIT 1")" "[code withheld]" "the modal's code not kept"
d1=$(alert dave r1 "Dave's alert" critical)
wait_for "$(sent_sql "$d1")" 1 30
click U004 confirm "$d1" >/dev/null
expect_events 1
fresh_step
right=$(code dave)
wrong=$(printf '%06d' $(((10#$right + 1) % 1000000)))
for _ in 1 2 3; do said U004 "$wrong"; done
check "$(sql "SELECT status IN ('escalation_requested', 'escalated') || '/' || status_reason || '/' || second_factor || '/' || code_failures FROM alerts WHERE id = '$d1'")" \
	"true/second_factor_failed/failed/3" "third wrong code: second_factor_failed"
wait_topic outcomes "$d1" 1 || true
check "$(on_topic escalation-requests "$d1" | field "m['reason'], m['priority']")" "('second_factor_failed', 'high')" "escalation request second_factor_failed"
check "$(on_topic outcomes "$d1" | field "m['outcome'], m['second_factor']")" "('second_factor_failed', 'failed')" "outcome second_factor_failed"
delivered "$d1"
check "$(posted "$d1")" 1 "reported in the security channel"

# ---- (6) a click replayed: the same envelope again, the same click in a new one ----
g1=$(alert grace r1 "Grace's alert" high)
wait_for "$(sent_sql "$g1")" 1 30
env1=$(click U007 deny "$g1")
expect_events 1
wait_acked 10
check "$(sock replay "{\"envelope_id\": \"$env1\"}")" '{"ok": true}' "Slack redelivers the acknowledged envelope"
envelope interactive "$(cat "$T_DIR/last-click")" >/dev/null # the same click (same action_ts), a new envelope
wait_acked 10
check "$(sock_state "[a['attempts'] for a in d['acked']['$env1']]")" "[1, 2]" "the replayed envelope acknowledged again"
check "$(on_topic responses U007 | field "m['event_id']" | tr ' ' '\n' | sort | uniq -c | awk '{print $1}')" 3 "three deliveries of one event id on responses"
said U007 "I never logged in" # after the replays in grace's partition: they were read
wait_for "SELECT coalesce(comment, '') FROM alerts WHERE id = '$g1'" "I never logged in" 30
check "$(sql "SELECT count(*) FROM audit_log WHERE alert_id = '$g1' AND action = 'denied'")" 1 "the click decided once"
check "$(sql "SELECT count(*) FROM responses WHERE alert_id = '$g1' AND kind = 'deny'")" 1 "one response recorded for the three deliveries"
wait_topic outcomes "$g1" 1 || true
check "$(on_topic escalation-requests "$g1" | field "m['reason']")" denied "one escalation request"
check "$(on_topic outcomes "$g1" | field "m['outcome'], m['comment']")" "('denied', 'I never logged in')" "one outcome with her words"
delivered "$g1"
check "$(posted "$g1")" 1 "one report in the security channel"

# ---- (7) over the whole run ----
wait_acked 10
check "$(sock_state "len(d['violations'])")" 0 "Slack saw nothing it would refuse"
check "$(sock_state "sum(1 for e in d['log'] if e['event'] == 'late')")" 0 "every envelope acknowledged within 3 s"
check "$(fake_q violations "d['count']")" 0 "Web API violations"
codes_re="(^|[^0-9.])($alice_code|$right|$wrong|$erin_code|$stop_code|$start_code)([^0-9]|\$)"
check "$(cat "$T_DIR"/*.log | grep -cE "$codes_re" || true)" 0 "no code in any log"
check "$(cat "$T_DIR"/*.log | grep -c -e "$SOCKET_APP_TOKEN" -e "$FAKE_TOKEN" -e "$(cat "$T_DIR/key")" || true)" 0 "no secret in any log"
stop_fake_slack
finish
