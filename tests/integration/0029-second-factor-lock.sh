#!/usr/bin/env bash
# The per-employee limit of failed second factors on the real stack
# (sb-ingest, sb-prompt, sb-gateway, sb-response; Slack and Duo played by
# the fakes), with SECURITYBOT_2FA_MAX_FAILURES=4: alice's wrong codes
# over two alerts reach the limit; her next code is refused without being
# checked, her alert is escalated second_factor_locked (second factor
# `locked` in the escalation request and the outcome) and the security
# channel is told; a guarded change of hers is refused too. bob (Duo) past
# the limit gets no push: his "yes" is escalated at once. Failures older
# than an hour do not count (carol). `test` is limited to
# SECURITYBOT_TEST_PER_HOUR=2 per employee (dave).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/slack_user.sh"
. "$(dirname "$0")/lib/totp.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 3
import_people alice:U001 bob:U002 carol:U003 dave:U004
totp_setup alice carol
ctl enroll bob --duo >/dev/null

SECRET="e2e-signing-secret-0123456789abcdef"
printf '%s\n' "$SECRET" >"$T_DIR/signing-secret"
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
start_fake_slack
fake_post config '{"users": {"alice@example.com": "U001", "bob@example.com": "U002",
  "carol@example.com": "U003", "dave@example.com": "U004"}, "channels": ["C0SECURITY"]}'
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN SECURITYBOT_SECURITY_CHANNEL=C0SECURITY \
	SECURITYBOT_2FA_MAX_FAILURES=4 SECURITYBOT_TEST_PER_HOUR=2

DUO_HOST=api-0029test.duosecurity.com
DUO_SKEY=duo0029secretkeyduo0029secretkeyduo0029
sb_start_fake fake_duo "$SB_SOURCE_DIR/tests/fakes/fake_duo.py" --host "$DUO_HOST" \
	--ikey DI0029TESTTESTTEST01 --skey "$DUO_SKEY" --longpoll 1
DUO_CTL="http://127.0.0.1:$SB_FAKE_PORT/_fake"
printf '%s\n' "$DUO_SKEY" >"$T_DIR/duo-skey"
export SECURITYBOT_DUO_API_HOST=$DUO_HOST SECURITYBOT_DUO_IKEY=DI0029TESTTESTTEST01 \
	SECURITYBOT_DUO_SKEY_FILE=$T_DIR/duo-skey SECURITYBOT_DUO_URL="http://127.0.0.1:$SB_FAKE_PORT" \
	SECURITYBOT_DUO_TIMEOUT=5s

start_ingest
start_worker sb-prompt
start_worker sb-response; RESPONSE_PID=$WORKER_PID
start_gateway "$T_DIR/sb-gateway.log"

alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity "${4:-medium}"; }
prompted() { wait_for "SELECT count(*) FROM alerts WHERE id = '$1' AND chat_ts IS NOT NULL" 1 30; }
posted() { # posted TEXT: the security channel's messages containing TEXT, once there is one
	local i q="[m['text'] for m in d['messages'] if m['channel'] == 'C0SECURITY' and '$1' in m['text']]"
	for ((i = 0; i < 100; i++)); do
		[[ $(fake_q messages "$q") != "[]" ]] && break
		sleep 0.1
	done
	fake_q messages "$q"
}
failures() { sql "SELECT count(*) FROM second_factor_failures WHERE employee_id = $(emp "$1")"; }

# ---- (1) alice: 3 wrong codes on one alert, 1 on the next: 4 failures ----
a1=$(alert alice ssh-login "SSH login")
prompted "$a1"
clicked U001 confirm "$a1"
for c in 000000 000001 000002; do said U001 "$c"; done
check "$(sql "SELECT status_reason FROM alerts WHERE id = '$a1'")" second_factor_failed "three wrong codes: escalated"
check "$(failures alice)" 3 "three failures counted"
a2=$(alert alice ssh-login "Another SSH login")
prompted "$a2"
clicked U001 confirm "$a2"
said U001 000003
check "$(sql "SELECT status || ' ' || code_failures FROM alerts WHERE id = '$a2'")" "awaiting_code 1" "the 4th failure: still asked"
check "$(failures alice)" 4 "four failures counted"

# ---- (2) past the limit: the right code is refused unchecked, the alert escalated locked ----
fresh_step
said U001 "$(code alice)"
check "$(sql "SELECT status || ' ' || status_reason || ' ' || second_factor || ' ' || second_factor_method FROM alerts WHERE id = '$a2'")" \
	"escalation_requested second_factor_locked locked totp" "a2 escalated second_factor_locked"
check "$(sql "SELECT coalesce(totp_last_step::text, 'unchecked') FROM employees WHERE username = 'alice'")" \
	unchecked "the code was never checked"
wait_topic escalation-requests "$a2"
check "$(on_topic escalation-requests "$a2" | field 'm["reason"]')" second_factor_locked "the escalation request's reason"
wait_topic outcomes "$a2"
check "$(on_topic outcomes "$a2" | field '(m["outcome"], m["second_factor"], m["second_factor_method"])')" \
	"('second_factor_failed', 'locked', 'totp')" "the outcome says locked"
check "$(posted 'locked out' | grep -c 'alice is locked out')" 1 "the security channel told"
said U001 stop
check "$(sql "SELECT count(*) FROM audit_log WHERE action = 'change_refused' AND detail->>'reason' = 'second_factor_locked'")" \
	1 "alice's opt-out refused while locked"
check "$(sql "SELECT opted_out FROM employees WHERE username = 'alice'")" f "alice still asked"

# ---- (3) bob (Duo) past the limit: no push, his yes escalated at once ----
sql "INSERT INTO second_factor_failures (employee_id, what) SELECT $(emp bob), 'duo_push' FROM generate_series(1, 4)"
b1=$(alert bob vpn-login "VPN login")
prompted "$b1"
clicked U002 confirm "$b1"
check "$(sql "SELECT status || ' ' || status_reason || ' ' || second_factor || ' ' || second_factor_method FROM alerts WHERE id = '$b1'")" \
	"escalation_requested second_factor_locked locked duo_push" "bob's yes escalated locked"
check "$(curl -fsS "$DUO_CTL/calls" | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["calls"]))')" 0 "no call to Duo for bob"

# ---- (4) failures older than an hour do not count (carol) ----
sql "INSERT INTO second_factor_failures (employee_id, what, failed_at) SELECT $(emp carol), 'totp', now() - interval '61 minutes' FROM generate_series(1, 10)"
c1=$(alert carol ssh-login "SSH login")
prompted "$c1"
clicked U003 confirm "$c1"
fresh_step
said U003 "$(code carol)"
check "$(sql "SELECT status || ' ' || second_factor FROM alerts WHERE id = '$c1'")" "confirmed passed" "carol's code checked and right"

# ---- (5) test: at most SECURITYBOT_TEST_PER_HOUR=2 an hour ----
for _ in 1 2 3; do said U004 test; done
wait_for "SELECT count(*) FROM alerts WHERE rule = 'securitybot-test'" 2 30
check "$(sql "SELECT count(*) FROM audit_log WHERE action = 'test_alert_refused' AND employee_id = $(emp dave)")" 1 "the third test refused"
check "$(sql "SELECT count(*) FROM alerts WHERE rule = 'securitybot-test'")" 2 "two test alerts"

check "$(fake_q violations "d['count']")" 0 "no Slack call Slack would refuse"
stop_worker "$RESPONSE_PID"
finish
