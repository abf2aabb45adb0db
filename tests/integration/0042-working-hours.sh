#!/usr/bin/env bash
# Working hours in the employee's time zone on the real stack (sb-ingest,
# sb-prompt, sb-gateway, sb-response; Slack played by the fake), with the
# test clock (SECURITYBOT_TEST_NOW, test builds only) at Tuesday 2026-12-08
# 03:00 UTC: ann works in Asia/Tokyo (12:00 there), lee in
# America/Los_Angeles (Monday 19:00 there), both 09:00-18:00 Mon-Fri, their
# zones from the directory's timezone column. A low alert for each at the
# same instant: ann is asked now, lee's is held until his morning (17:00
# UTC), shown by `sbctl alerts list --held`; a high alert for lee is asked
# at once all the same, and his held alerts stay held after that
# conversation ends. With the clock moved to just before his morning, the
# sweep asks him when it comes, not before. An unknown zone in the
# directory is refused, naming the line.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/slack_user.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 3
export SECURITYBOT_OFF_HOURS_MAX_SEVERITY=low
NOW=2026-12-08T03:00:00Z

# ---- the directory: zones checked against the system's zone database ----
printf '%s\n' "username,email,chat_user_id,aliases,timezone" \
	"ann,ann@example.com,U001,,Asia/Tokyo" "lee,lee@example.com,U002,,Mars/Olympus_Mons" >"$T_DIR/bad.csv"
rc=0
ctl employees import "$T_DIR/bad.csv" >/dev/null 2>"$T_DIR/bad.err" || rc=$?
check "$rc" 1 "an unknown time zone is refused"
check "$(grep -c '^.*bad.csv:3: timezone: unknown time zone "Mars/Olympus_Mons"' "$T_DIR/bad.err")" 1 "naming the line and the zone"
check "$(sql "SELECT count(*) FROM employees")" 0 "and nothing is applied"
printf '%s\n' "username,email,chat_user_id,aliases,timezone,working_hours" \
	"ann,ann@example.com,U001,,Asia/Tokyo," "lee,lee@example.com,U002,,America/Los_Angeles," \
	"kim,kim@example.com,U003,,,22:00-06:00 Mon-Fri" "max,max@example.com,U004,,," >"$T_DIR/people.csv"
ctl employees import "$T_DIR/people.csv" >/dev/null
check "$(sql "SELECT string_agg(username || '=' || coalesce(timezone, '-') || '/' || coalesce(timezone_source, '-'), ' ' ORDER BY id) FROM employees")" \
	"ann=Asia/Tokyo/directory lee=America/Los_Angeles/directory kim=-/- max=-/-" "the zones are stored"
hours_now() { SECURITYBOT_TEST_NOW=$NOW ctl employees list --format json | python3 -c 'import json, sys
print(" ".join("%s:%s:%s:%s" % (e["username"], e["timezone"], e["timezone_source"], e["in_working_hours"]) for e in json.load(sys.stdin)))'; }
check "$(hours_now)" "ann:Asia/Tokyo:directory:True lee:America/Los_Angeles:directory:False kim:UTC:default:True max:UTC:default:False" \
	"employees list: each zone, and who is working at $NOW"
check "$(SECURITYBOT_TEST_NOW=$NOW ctl employees list | awk '$2 == "lee" {print $6, $7}')" \
	"America/Los_Angeles off" "the text list too"

SECRET="e2e-signing-secret-0123456789abcdef"
printf '%s\n' "$SECRET" >"$T_DIR/signing-secret"
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
start_fake_slack
# max's zone is only in his Slack profile (users.info's tz); kim's profile has none
fake_post config '{"users": {"ann@example.com": "U001", "lee@example.com": "U002",
  "kim@example.com": "U003", "max@example.com": "U004"}, "timezones": {"U004": "Europe/Berlin"},
  "channels": ["C0SECURITY"]}'
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN SECURITYBOT_SECURITY_CHANNEL=C0SECURITY
check "$(curl -fsS -H 'Authorization: Bearer xoxb-not-the-token' "$FAKE_URL/users.info?user=U004")" \
	'{"ok": false, "error": "invalid_auth"}' "the fake's users.info refuses a wrong token, as Slack does"

start_ingest
start_worker sb-prompt SECURITYBOT_TEST_NOW=$NOW
PROMPT_PID=$WORKER_PID
start_worker sb-response
start_gateway "$T_DIR/sb-gateway.log"

alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity "${4:-low}"; }
prompted() { wait_for "SELECT count(*) FROM alerts WHERE id = '$1' AND chat_ts IS NOT NULL" 1 30; }
held() { wait_for "SELECT count(*) FROM audit_log WHERE alert_id = '$1' AND action = 'prompt_held'" 1 30; }
state() { sql "SELECT concat_ws(' ', status, to_char(ask_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) FROM alerts WHERE id = '$1'"; }

# ---- (1) the same instant: Tokyo is asked now, Los Angeles is held until 09:00 there ----
a1=$(alert ann ssh-login "SSH login from a new country")
l1=$(alert lee ssh-login "SSH login from a new country")
prompted "$a1"
held "$l1"
check "$(state "$a1")" "prompted" "ann (Tokyo, 12:00) is asked now"
check "$(state "$l1")" "queued 2026-12-08T17:00:00Z" "lee (Los Angeles, 19:00) is held until 09:00 PST"
check "$(ctl alerts list --held --format json | python3 -c 'import json, sys
print(" ".join(a["id"][:8] + "@" + a["ask_at"] for a in json.load(sys.stdin)))')" \
	"${l1:0:8}@2026-12-08T17:00:00.000000Z" "alerts list --held shows it and when it will be asked"
check "$(ctl alerts list --held | awk 'NR == 2 {print $4, $5}')" "2026-12-08 17:00:00" "the text list too"
# kim: UTC (the default), a night shift 22:00-06:00 that crosses midnight: 03:00 is inside it
k1=$(alert kim vpn-login "VPN login")
prompted "$k1"
check "$(state "$k1")" "prompted" "kim (night shift, 03:00 UTC) is asked now"
# max: Europe/Berlin from his Slack profile, learned once: 04:00 there, held until 09:00 CET
m1=$(alert max vpn-login "VPN login")
held "$m1"
check "$(state "$m1")" "queued 2026-12-08T08:00:00Z" "max (Berlin from his Slack profile, 04:00) is held until 09:00 CET"
check "$(hours_now)" "ann:Asia/Tokyo:directory:True lee:America/Los_Angeles:directory:False kim:UTC:default:True max:Europe/Berlin:chat:False" \
	"employees list: max's zone learned from Slack, kim's profile had none (the default)"
check "$(fake_q calls "sum(1 for c in d['calls'] if c['method'] == 'users.info' and c['ok'])")" 2 \
	"users.info asked once for each employee without a zone in the directory"

# ---- (2) a high alert is never held, and a held low alert does not block it ----
l2=$(alert lee ssh-login "SSH login from a new country" high)
prompted "$l2"
check "$(state "$l2")" "prompted" "lee's high alert is asked at once"
check "$(state "$l1")" "queued 2026-12-08T17:00:00Z" "his low alert still waits"
clicked U002 deny "$l2"
wait_for "SELECT status FROM alerts WHERE id = '$l2'" denied 30
l3=$(alert lee vpn-login "VPN login")
held "$l3"
check "$(state "$l1") / $(state "$l3")" "queued 2026-12-08T17:00:00Z / queued 2026-12-08T17:00:00Z" \
	"after that conversation, his low alerts are still held"
check "$(fake_q calls "sum(1 for c in d['calls'] if '${l1}' in json.dumps(c))")" \
	0 "no message to lee about the held alert"

# ---- (3) his morning: the sweep asks him when it comes, not before ----
stop_worker "$PROMPT_PID"
t0=$(date +%s.%N)
start_worker sb-prompt SECURITYBOT_TEST_NOW=2026-12-08T16:59:55Z
prompted "$l1"
elapsed=$(python3 -c "import sys, time; print(time.time() - float(sys.argv[1]))" "$t0")
check "$(python3 -c "print(4 <= $elapsed < 20)")" True "lee is asked at 09:00 his time, 5 s of test clock later (${elapsed}s)"
check "$(sql "SELECT count(*) FROM alerts WHERE employee_id = $(emp lee) AND status = 'queued' AND ask_at IS NOT NULL")" \
	1 "his other low alert waits for this conversation"
check "$(cat "$T_DIR"/sb-prompt.*.log | grep -c '"level":"error"')" 0 "no error logged by sb-prompt"
finish
