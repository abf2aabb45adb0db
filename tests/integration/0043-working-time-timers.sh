#!/usr/bin/env bash
# The reminder and no_response clocks of an alert at or below
# SECURITYBOT_OFF_HOURS_MAX_SEVERITY count working time only (sb-escalation,
# with sb-ingest, sb-prompt and Slack played by the fake), on the test clock
# (SECURITYBOT_TEST_NOW, test builds only): lee (America/Los_Angeles,
# 09:00-18:00 Mon-Fri) is asked a low alert on Friday 2026-12-11 at about
# 17:59 his time (the test clock starts at 17:59:00); with reminders after
# 70 s and escalation after 100 s, his clocks stop at 18:00 and run again
# on Monday at 09:00, so his reminder is due Monday about 09:00:10 and his
# escalation 30 s later. kim's high alert at the same time (UTC, Saturday
# there: off hours) is reminded and escalated in wall time (3 s, 8 s). With
# the clock moved to Monday 09:00:00 PST, lee is reminded when his time is
# up, not before, then escalated as no_response. A claim sb-prompt has not
# sent yet is planned only once it is 10 s old.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"
. "$(dirname "$0")/lib/slack_user.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 3
export SECURITYBOT_OFF_HOURS_MAX_SEVERITY=low SECURITYBOT_DIGEST_EVERY=0
export SECURITYBOT_REMIND_AFTER_LOW=70s SECURITYBOT_ESCALATE_AFTER_LOW=100s
export SECURITYBOT_REMIND_AFTER_HIGH=3s SECURITYBOT_ESCALATE_AFTER_HIGH=8s
FRIDAY=2026-12-12T01:59:00Z # Friday 17:59:00 in Los Angeles
printf '%s\n' "username,email,chat_user_id,aliases,timezone" \
	"lee,lee@example.com,U002,,America/Los_Angeles" "kim,kim@example.com,U003,," >"$T_DIR/people.csv"
ctl employees import "$T_DIR/people.csv" >/dev/null

start_fake_slack
fake_post config '{"users": {"lee@example.com": "U002", "kim@example.com": "U003"}, "channels": ["C0SECURITY"]}'
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN SECURITYBOT_SECURITY_CHANNEL=C0SECURITY

start_ingest
start_worker sb-prompt SECURITYBOT_TEST_NOW=$FRIDAY
PROMPT_PID=$WORKER_PID
start_worker sb-escalation SECURITYBOT_TEST_NOW=$FRIDAY
ESC_PID=$WORKER_PID

alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity "$4"; }
ts() { sql "SELECT coalesce(to_char($1 AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), '-') FROM alerts WHERE id = '$2'"; }

l1=$(alert lee vpn-login "VPN login" low)
k1=$(alert kim ssh-login "SSH login from a new country" high)
wait_for "SELECT count(*) FROM alerts WHERE id IN ('$l1', '$k1') AND chat_ts IS NOT NULL" 2 30

# ---- (1) the high alert: wall time, though kim is off hours ----
wait_for "SELECT reminded_at IS NOT NULL FROM alerts WHERE id = '$k1'" t 30
wait_for "SELECT status_reason FROM alerts WHERE id = '$k1'" no_response 30
check "$(ts remind_due_at "$k1")" "-" "kim's high alert has no working-time timers"
check "$(sql "SELECT reminded_at IS NULL FROM alerts WHERE id = '$l1'")" t "lee is not reminded meanwhile"

# ---- (2) the low alert: its timers wait for Monday morning ----
wait_for "SELECT escalate_due_at IS NOT NULL FROM alerts WHERE id = '$l1'" t 30
remind=$(sql "SELECT extract(epoch FROM remind_due_at - '2026-12-14T17:00:10Z')::int FROM alerts WHERE id = '$l1'")
check "$(python3 -c "print(0 <= $remind <= 15)")" True "lee's reminder is due Monday 09:00:10 PST plus the seconds before he was asked (${remind}s)"
check "$(sql "SELECT extract(epoch FROM escalate_due_at - remind_due_at)::int FROM alerts WHERE id = '$l1'")" 30 \
	"his escalation 30 s of working time later"
check "$(sql "SELECT status FROM alerts WHERE id = '$l1'")" prompted "his conversation is still open"

# ---- (3) Monday 09:00:00 in Los Angeles: reminded when the time is up, then escalated ----
stop_worker "$ESC_PID"
t0=$(date +%s.%N)
start_worker sb-escalation SECURITYBOT_TEST_NOW=2026-12-14T17:00:00Z
wait_for "SELECT reminded_at IS NOT NULL FROM alerts WHERE id = '$l1'" t 40
elapsed=$(python3 -c "import sys, time; print(round(time.time() - float(sys.argv[1]), 1))" "$t0")
check "$(python3 -c "print($elapsed >= 8)")" True "lee is reminded about 10 s into his Monday (${elapsed}s)"
check "$(sql "SELECT detail->>'result' FROM audit_log WHERE alert_id = '$l1' AND action = 'reminded'")" sent "the reminder was sent"
wait_for "SELECT status_reason FROM alerts WHERE id = '$l1'" no_response 60
check "$(sql "SELECT status_reason FROM alerts WHERE id = '$l1'")" no_response "then escalated as no_response"

# ---- (4) a claim not sent yet is left to sb-prompt for 10 s ----
# (sb-prompt locks a fresh claim SKIP LOCKED to send it; one the timer
# planning held at that moment waited for the 3 s sweep.) sb-prompt is
# stopped, so the claims below stay unsent: ann's is fresh, bo's 20 s old.
stop_worker "$PROMPT_PID"
printf '%s\n' "username,email,chat_user_id,aliases" "ann,ann@example.com,U004," "bo,bo@example.com,U005," >"$T_DIR/more.csv"
ctl employees import "$T_DIR/more.csv" >/dev/null
sql "INSERT INTO alerts (id, source, rule, title, username, severity, occurred_at, raw, employee_id,
       status, src_topic, src_partition, src_offset, prompted_at)
     SELECT encode(sha256(convert_to(e.username, 'UTF8')), 'hex'), 'test', 'r', 'T', e.username, 'low',
       now(), '{}'::json, e.id, 'prompted', 'test', 0, e.id,
       now() - CASE e.username WHEN 'bo' THEN interval '20 seconds' ELSE interval '0' END
     FROM employees e WHERE e.username IN ('ann', 'bo')"
t0=$(date +%s.%N)
wait_for "SELECT escalate_due_at IS NOT NULL FROM alerts WHERE username = 'bo'" t 20
check "$(sql "SELECT escalate_due_at IS NULL FROM alerts WHERE username = 'ann'")" t \
	"a fresh unsent claim is not planned (the 20 s old one is)"
wait_for "SELECT escalate_due_at IS NOT NULL FROM alerts WHERE username = 'ann'" t 30
elapsed=$(python3 -c "import sys, time; print(round(time.time() - float(sys.argv[1]), 1))" "$t0")
check "$(python3 -c "print(8 <= $elapsed <= 20)")" True "it is planned once 10 s old, never sent (${elapsed}s)"
check "$(cat "$T_DIR"/sb-escalation.*.log | grep -c '"level":"error"')" 0 "no error logged by sb-escalation"
finish
