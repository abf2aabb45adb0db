#!/usr/bin/env bash
# A group's question (SECURITYBOT_COALESCE_WINDOW=10m) under the other
# rules of the conversation, on the real stack (sb-ingest, sb-prompt,
# sb-gateway, sb-response, sb-escalation; Slack played by the fake):
# - working hours: lee's three low alerts of one rule, sent on a Friday
#   evening in Los Angeles (a test clock), are all held; on Monday at 09:00
#   they are one question of three. His "not me" escalates each of them
#   (wrong_employee), each request and outcome with group_id.
# - no answer: kim's three high alerts of one rule are one question, one
#   reminder; at the no_response time every alert of the group is
#   escalated: three escalations, three escalation.v1 and three
#   no_response outcomes, each with group_id.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/slack_user.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 3
export SECURITYBOT_COALESCE_WINDOW=10m SECURITYBOT_COMMENT_WINDOW=1s
export SECURITYBOT_OFF_HOURS_MAX_SEVERITY=low SECURITYBOT_DIGEST_EVERY=0
export SECURITYBOT_REMIND_AFTER_HIGH=2s SECURITYBOT_ESCALATE_AFTER_HIGH=6s
FRIDAY=2026-12-12T02:30:00Z # Friday 18:30 in Los Angeles
MONDAY=2026-12-14T17:00:05Z # Monday 09:00:05 in Los Angeles
printf '%s\n' "username,email,chat_user_id,aliases,timezone" \
	"lee,lee@example.com,U002,,America/Los_Angeles" "kim,kim@example.com,U003,," >"$T_DIR/people.csv"
ctl employees import "$T_DIR/people.csv" >/dev/null

SECRET="e2e-signing-secret-0123456789abcdef"
printf '%s\n' "$SECRET" >"$T_DIR/signing-secret"
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
start_fake_slack
fake_post config '{"users": {"lee@example.com": "U002", "kim@example.com": "U003"}, "channels": ["C0SECURITY"]}'
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN SECURITYBOT_SECURITY_CHANNEL=C0SECURITY

start_ingest
start_worker sb-prompt SECURITYBOT_TEST_NOW=$FRIDAY
PROMPT_PID=$WORKER_PID
start_worker sb-response
start_worker sb-escalation
start_gateway "$T_DIR/sb-gateway.log"

alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity "$4"; }
# "count distinct-alerts values..." of the messages on topic $1 with group_id $2, field $3
on_group() {
	topic_dump "$1" | cut -f4- | python3 -c 'import json, sys
ms = [json.loads(l) for l in sys.stdin if l.strip()]
g = [m for m in ms if m.get("group_id") == sys.argv[1]]
print(len({m["alert_id"] for m in g}), " ".join(sorted({str(m[sys.argv[2]]) for m in g})))' "$2" "$3"
}
wait_group() { # wait_group TOPIC LEADER FIELD WANT
	local i
	for ((i = 0; i < 300; i++)); do
		[[ $(on_group "$1" "$2" "$3") == "$4" ]] && return 0
		sleep 0.1
	done
}

# ---- (1) lee: held on Friday evening, one question of three on Monday ----
l=()
for ((i = 0; i < 3; i++)); do l+=("$(alert lee vpn-login "VPN login from a new device" low)"); done
wait_for "SELECT count(*) FROM alerts WHERE employee_id = $(emp lee) AND status = 'queued' AND ask_at IS NOT NULL" 3 30
check "$(sql "SELECT count(*) FROM alerts WHERE employee_id = $(emp lee) AND (chat_ts IS NOT NULL OR group_id IS NOT NULL)")" 0 \
	"Friday evening: lee's three low alerts are held, none asked or grouped"
stop_worker "$PROMPT_PID"
start_worker sb-prompt SECURITYBOT_TEST_NOW=$MONDAY
wait_for "SELECT count(*) FROM alerts WHERE employee_id = $(emp lee) AND group_id IS NOT NULL
  AND status IN ('prompted', 'grouped')" 3 30
lead=$(sql "SELECT id FROM alerts WHERE employee_id = $(emp lee) AND status = 'prompted'")
wait_for "SELECT count(*) FROM alerts WHERE id = '$lead' AND chat_ts IS NOT NULL" 1 30
check "$(sql "SELECT count(*) FROM alerts WHERE group_id = '$lead'")" 3 "Monday 09:00: one question for the three"
check "$(fake_q calls "[('3 alerts like this in the last 10 minutes' in json.dumps(c['args'])) for c in d['calls'] if c['method'] == 'chat.postMessage' and '$lead' in json.dumps(c['args'])]")" '[true]' \
	"which says it stands for 3 alerts"
clicked U002 not_me "$lead"
wait_for "SELECT count(*) FROM escalations WHERE reason = 'wrong_employee'" 3 30
wait_group escalations "$lead" reason "3 wrong_employee"
check "$(on_group escalations "$lead" reason)" "3 wrong_employee" "not me: an escalation per alert of the group, each with group_id"
wait_group outcomes "$lead" outcome "3 wrong_employee"
check "$(on_group outcomes "$lead" outcome)" "3 wrong_employee" "and an outcome each"

# ---- (2) kim: no answer; the timers act on the whole group ----
k=()
for ((i = 0; i < 3; i++)); do
	k+=("$(alert kim ssh-login "SSH login from a new country" high)")
	((i == 0)) && wait_for "SELECT count(*) FROM alerts WHERE id = '${k[0]}' AND chat_ts IS NOT NULL" 1 30
done
wait_for "SELECT count(*) FROM alerts WHERE group_id = '${k[0]}'" 3 30
wait_for "SELECT reminded_at IS NOT NULL FROM alerts WHERE id = '${k[0]}'" t 30
check "$(fake_q calls "sum(1 for c in d['calls'] if c['method'] == 'chat.postMessage' and 'Reminder' in json.dumps(c['args']) and c['args'].get('channel') != 'C0SECURITY')")" 1 \
	"one reminder for the group's question"
wait_for "SELECT count(*) FROM alerts WHERE group_id = '${k[0]}' AND status = 'escalated'
  AND status_reason = 'no_response' AND outcome = 'no_response'" 3 40
wait_group escalations "${k[0]}" reason "3 no_response"
check "$(on_group escalations "${k[0]}" reason)" "3 no_response" "no answer: every alert of the group escalated, each with group_id"
wait_group outcomes "${k[0]}" outcome "3 no_response"
check "$(on_group outcomes "${k[0]}" outcome)" "3 no_response" "three no_response outcomes with group_id"
check "$(topic_dump escalation-requests | cut -f4- | python3 -c 'import json, sys
ms = [json.loads(l) for l in sys.stdin if l.strip()]
print(len({m["alert_id"] for m in ms if m.get("group_id") == sys.argv[1] and m["reason"] == "no_response"}))' "${k[0]}")" 3 \
	"each its own escalation request"
check "$(grep -c '"level":"error"' "$T_DIR"/sb-*.log | awk -F: '{s += $2} END {print s}')" 0 "no error logged by the workers"
finish
