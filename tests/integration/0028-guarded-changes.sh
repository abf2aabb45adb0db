#!/usr/bin/env bash
# Guarded changes on the real stack (sb-ingest, sb-prompt, sb-gateway,
# sb-response as separate processes; Slack and Duo played by the fakes):
# `ignore <duration>`, `stop` and `start` from chat take effect only after
# the employee's second factor: a TOTP code (alice mutes a rule, then her
# next alert of that rule is suppressed), a Duo push (bob opts out, his
# next alert goes straight to the security team, then he opts back in);
# a denied push (dave) or three wrong codes (erin) change nothing and are
# counted; `ignore` is refused outright for the rule of a critical alert
# (frank); without a factor the change is refused (carol), unless
# SECURITYBOT_REQUIRE_2FA=false. Every change is audited and posted to
# the security channel. The code out of the chat history: a click with
# Slack's trigger_id opens the code modal; a wrong code leaves an "Enter
# code" button that opens it again, and the right code submitted confirms
# (frank); with a trigger that expired, the DM asks for the code (erin).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/slack_user.sh"
. "$(dirname "$0")/lib/totp.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 3
import_people alice:U001 bob:U002 carol:U003 dave:U004 erin:U005 frank:U006
totp_setup alice erin frank
for u in bob dave; do ctl enroll "$u" --duo >/dev/null; done

SECRET="e2e-signing-secret-0123456789abcdef"
printf '%s\n' "$SECRET" >"$T_DIR/signing-secret"
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
start_fake_slack
fake_post config "{\"users\": {$(for i in 1 2 3 4 5 6; do printf '"%s@example.com": "U00%s",' "$(sed -n "${i}p" <<<$'alice\nbob\ncarol\ndave\nerin\nfrank')" $i; done | sed 's/,$//')}, \"channels\": [\"C0SECURITY\"]}"
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN SECURITYBOT_SECURITY_CHANNEL=C0SECURITY

DUO_HOST=api-0028test.duosecurity.com
DUO_SKEY=duo0028secretkeyduo0028secretkeyduo0028
sb_start_fake fake_duo "$SB_SOURCE_DIR/tests/fakes/fake_duo.py" --host "$DUO_HOST" \
	--ikey DI0028TESTTESTTEST01 --skey "$DUO_SKEY" --longpoll 1
DUO_CTL="http://127.0.0.1:$SB_FAKE_PORT/_fake"
printf '%s\n' "$DUO_SKEY" >"$T_DIR/duo-skey"
export SECURITYBOT_DUO_API_HOST=$DUO_HOST SECURITYBOT_DUO_IKEY=DI0028TESTTESTTEST01 \
	SECURITYBOT_DUO_SKEY_FILE=$T_DIR/duo-skey SECURITYBOT_DUO_URL="http://127.0.0.1:$SB_FAKE_PORT" \
	SECURITYBOT_DUO_TIMEOUT=5s
curl -fsS -X POST -H 'Content-Type: application/json' -d '{"dave": {"push": "deny"}}' \
	"$DUO_CTL/users" >/dev/null
duo_q() {
	curl -fsS "$DUO_CTL/$1" | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$2"
}

start_ingest
start_worker sb-prompt
start_worker sb-response; RESPONSE_PID=$WORKER_PID
start_gateway "$T_DIR/sb-gateway.log"

alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity "${4:-medium}"; }
prompted() { wait_for "SELECT count(*) FROM alerts WHERE id = '$1' AND chat_ts IS NOT NULL" 1 30; }
last_text() { # the last text sb-response sent to a chat user (their DM)
	fake_q messages "([m['text'] for m in d['messages'] if m['channel'] == '$(fake_q dms "d['dms'].get('$1', '')")' and 'blocks' not in m] or [''])[-1]"
}
told() { # told USER TEXT: 1 once the last text to USER contains TEXT (waits up to 10 s)
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(last_text "$1") == *"$2"* ]] && echo 1 && return 0
		sleep 0.1
	done
	echo 0
}
security() { fake_q messages "[m['text'] for m in d['messages'] if m['channel'] == 'C0SECURITY' and '$1' in m['text']]"; }
posted() { # posted TEXT: the security channel's messages containing TEXT, once there is one
	local i
	for ((i = 0; i < 100; i++)); do
		[[ $(security "$1") != "[]" ]] && break
		sleep 0.1
	done
	security "$1"
}
change_of() { sql "SELECT status || ' ' || coalesce(status_reason, '-') || ' ' || coalesce(second_factor_method, '-') FROM guarded_changes WHERE employee_id = $(emp "$1") ORDER BY id DESC LIMIT 1"; }

# ---- (1) alice (TOTP) mutes the rule of her alert: only after her code ----
a1=$(alert alice ssh-login "SSH login from a new country")
prompted "$a1"
said U001 "ignore 2h"
check "$(change_of alice)" "awaiting_factor - -" "alice's change waits for her code"
check "$(told U001 '6-digit code')" 1 "alice asked for her code"
check "$(sql "SELECT count(*) FROM ignore_rules")" 0 "no ignore rule before the code"
fresh_step
said U001 "$(code alice)"
check "$(change_of alice)" "applied - totp" "applied after the code"
check "$(sql "SELECT rule || ' ' || (until > now() + interval '119 minutes' AND until < now() + interval '121 minutes') FROM ignore_rules WHERE employee_id = $(emp alice)")" \
	"ssh-login true" "alice's ignore rule: ssh-login for 2 h"
check "$(sql "SELECT detail->>'second_factor_method' || ' ' || (detail->>'minutes') FROM audit_log WHERE action = 'ignore_rule_added' AND employee_id = $(emp alice)")" \
	"totp 120" "audited with the factor"
check "$(posted alice)" '["alice muted rule ssh-login for 2 h (second factor: totp)"]' "posted to the security channel"
a2=$(alert alice ssh-login "Another SSH login")
wait_for "SELECT status FROM alerts WHERE id = '$a2'" suppressed 30
check "$(sql "SELECT count(*) FROM responses WHERE text ~ '[0-9]{6}'")" 0 "no code stored"

# ---- (2) bob (Duo) opts out after an approved push, then back in ----
said U002 stop
wait_for "SELECT opted_out FROM employees WHERE username = 'bob'" t 30
check "$(change_of bob)" "applied - duo_push" "bob's opt-out applied after the push"
check "$(duo_q calls "[c['params']['factor'] for c in d['calls'] if c['path'] == '/auth/v2/auth' and c['params'].get('username') == 'bob']")" \
	"['push']" "one push sent to bob"
check "$(duo_q calls "'stop' in [c['params']['pushinfo'] for c in d['calls'] if c['path'] == '/auth/v2/auth'][0]")" \
	True "the push names the change"
wait_for "SELECT count(*) FROM audit_log WHERE action = 'employee_opted_out' AND employee_id = $(emp bob) AND detail->>'second_factor_method' = 'duo_push'" 1 10
b1=$(alert bob vpn-login "VPN login")
wait_for "SELECT status || ' ' || status_reason FROM alerts WHERE id = '$b1'" "escalation_requested opted_out" 30
check "$(posted 'bob opted out' | grep -c 'bob opted out')" 1 "bob's opt-out posted"
said U002 stop
check "$(told U002 'opted out already')" 1 "stop twice: nothing to do"
said U002 start
wait_for "SELECT opted_out FROM employees WHERE username = 'bob'" f 30
check "$(posted 'bob opted back in' | grep -c 'bob opted back in')" 1 "bob's opt-in posted"

# ---- (3) dave (Duo) mutes a rule, the push is denied: nothing changes ----
d1=$(alert dave vpn-login "VPN login")
prompted "$d1"
said U004 "ignore 30m"
wait_for "SELECT status FROM guarded_changes WHERE employee_id = $(emp dave)" refused 30
check "$(change_of dave)" "refused push_denied duo_push" "dave's change refused"
check "$(sql "SELECT count(*) FROM ignore_rules WHERE employee_id = $(emp dave)")" 0 "no ignore rule for dave"
check "$(sql "SELECT count(*) FROM second_factor_failures WHERE employee_id = $(emp dave)")" 1 "the denied push counted"
check "$(posted dave)" "[\"dave's request to mute rule vpn-login for 30 min was refused: push_denied (duo_push)\"]" "the refusal posted"

# ---- (4) erin (TOTP) opts out with three wrong codes: refused ----
said U005 stop
said U005 "000000"
check "$(told U005 '2 tries left')" 1 "erin told 2 tries are left"
said U005 "my badge is 1234567"
check "$(sql "SELECT count(*) FROM responses WHERE text = 'my badge is *******'")" 1 "digits withheld while the change waits"
said U005 "000001"
said U005 "000002"
check "$(change_of erin)" "refused code_failed totp" "three wrong codes: refused"
check "$(sql "SELECT opted_out FROM employees WHERE username = 'erin'")" f "erin still asked"
check "$(sql "SELECT count(*) FROM second_factor_failures WHERE employee_id = $(emp erin)")" 3 "three failures counted"
said U005 "$(code erin)"
check "$(sql "SELECT opted_out FROM employees WHERE username = 'erin'")" f "a right code afterwards changes nothing"

# ---- (5) frank: never for the rule of a critical alert ----
f1=$(alert frank data-exfil "1,240 files downloaded" critical)
prompted "$f1"
said U006 "ignore 1h"
check "$(sql "SELECT count(*) FROM guarded_changes WHERE employee_id = $(emp frank)")" 0 "no change recorded"
check "$(sql "SELECT detail->>'reason' FROM audit_log WHERE action = 'change_refused' AND employee_id = $(emp frank)")" \
	critical_alert "refused outright, audited"
check "$(told U006 'critical')" 1 "frank told why"

# ---- (6) carol has no factor: refused, unless SECURITYBOT_REQUIRE_2FA=false ----
said U003 stop
check "$(sql "SELECT opted_out FROM employees WHERE username = 'carol'")" f "carol not opted out"
check "$(sql "SELECT detail->>'reason' FROM audit_log WHERE action = 'change_refused' AND employee_id = $(emp carol)")" \
	not_enrolled "refused: not enrolled"
stop_worker "$RESPONSE_PID"
start_worker sb-response SECURITYBOT_REQUIRE_2FA=false; RESPONSE_PID=$WORKER_PID
said U003 stop
check "$(sql "SELECT opted_out FROM employees WHERE username = 'carol'")" t "without SECURITYBOT_REQUIRE_2FA: applied at once"
check "$(sql "SELECT detail->>'second_factor_method' FROM audit_log WHERE action = 'employee_opted_out' AND employee_id = $(emp carol)")" \
	none "audited with no factor"

# ---- (7) the code modal: opened for a click, its submission confirms ----
click() { # click USER ALERT TRIGGER [ACTION]: a click (sb_confirm) carrying Slack's trigger_id
	events=$((events + 1))
	check "$(req --payload "$(printf '{"type":"block_actions","trigger_id":"%s","user":{"id":"%s"},"actions":[{"action_id":"%s","block_id":"b1","value":"%s","type":"button","action_ts":"1800000000.%06d"}]}' \
		"$3" "$1" "${4:-sb_confirm}" "$2" "$(next_n)")" | cut -f1)" 200 "$1 clicks ${4:-sb_confirm}"
	wait_for "SELECT count(*) FROM responses" "$events" 30
}
view_of() { fake_q views "[v for v in d['views'] if v['trigger_id'] == '$1']"; }
view_id() { view_of "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["id"])'; }
buttons_of() { # buttons_of ALERT: the action ids on its message, once it has one of them (10 s)
	local i q ts
	ts=$(sql "SELECT chat_ts FROM alerts WHERE id = '$1'")
	q="[e['action_id'] for m in d['messages'] if m['ts'] == '$ts' for b in m.get('blocks', []) if b['type'] == 'actions' for e in b['elements']]"
	for ((i = 0; i < 100; i++)); do
		[[ $(fake_q messages "$q") != "[]" ]] && break
		sleep 0.1
	done
	fake_q messages "$q"
}
submit() { # submit USER VIEW_ID ALERT CODE: the modal's submission
	events=$((events + 1))
	check "$(req --payload "$(python3 -c 'import json, sys
print(json.dumps({"type": "view_submission", "user": {"id": sys.argv[1]}, "view": {
  "id": sys.argv[2], "hash": "1800000000.x", "callback_id": "sb_code", "private_metadata": sys.argv[3],
  "state": {"values": {"sb_code": {"sb_code_input": {"type": "plain_text_input", "value": sys.argv[4]}}}}}}))' \
		"$1" "$2" "$3" "$4")" | cut -f1)" 200 "$1 submits the modal"
	wait_for "SELECT count(*) FROM responses" "$events" 30
}
click U006 "$f1" 13345224609.1.frank
check "$(sql "SELECT status FROM alerts WHERE id = '$f1'")" awaiting_code "frank's yes waits for the code"
check "$(view_of 13345224609.1.frank | python3 -c 'import json, sys; v = json.load(sys.stdin)[0]; print(v["callback_id"], v["private_metadata"] == sys.argv[1])' "$f1")" \
	"sb_code True" "the code modal opened for frank's alert"
submit U006 "$(view_id 13345224609.1.frank)" "$f1" 000000
check "$(sql "SELECT status || ' ' || code_failures FROM alerts WHERE id = '$f1'")" "awaiting_code 1" "a wrong code from the modal counts"
check "$(buttons_of "$f1")" '["sb_enter_code"]' "the message offers \"Enter code\""
click U006 "$f1" 13345224609.3.frank sb_enter_code
check "$(view_of 13345224609.3.frank | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["private_metadata"] == sys.argv[1])' "$f1")" \
	True "\"Enter code\" opens the modal again"
fresh_step
submit U006 "$(view_id 13345224609.3.frank)" "$f1" "$(code frank)"
check "$(sql "SELECT status || ' ' || second_factor || ' ' || second_factor_method FROM alerts WHERE id = '$f1'")" \
	"confirmed passed totp" "confirmed by the modal's code"
check "$(sql "SELECT text FROM responses ORDER BY recorded_at DESC LIMIT 1")" "[code withheld]" "the modal's code not kept"
fake_post config '{"expired_triggers": ["13345224609.2.erin"]}'
e1=$(alert erin vpn-login "VPN login")
prompted "$e1"
click U005 "$e1" 13345224609.2.erin
check "$(view_of 13345224609.2.erin)" "[]" "no modal with an expired trigger"
check "$(told U005 '6-digit code')" 1 "the DM asks erin for the code instead"
fresh_step
said U005 "$(code erin)"
check "$(sql "SELECT status FROM alerts WHERE id = '$e1'")" confirmed "erin's code in the DM confirms"

check "$(duo_q violations "d['count']")" 0 "no request the real Duo would refuse"
check "$(fake_q violations "d['count']")" 0 "no Slack call Slack would refuse"
stop_worker "$RESPONSE_PID"
finish
