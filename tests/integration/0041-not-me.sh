#!/usr/bin/env bash
# "Not me, wrong person" (issue 16, section 4) on the real stack (sb-ingest,
# sb-prompt, sb-gateway, sb-response, sb-escalation, sb-console; Slack and
# PagerDuty played by the fakes): the prompt has a third button,
# sb_not_me. alice clicks it: the alert is escalated with reason
# wrong_employee at low priority (the escalation request, the escalations
# row, escalation.v1, the security channel's report, a PagerDuty event at
# severity info although the alert is high), her words are asked for and
# her next message becomes the comment of the outcome wrong_employee
# (answer not_me), audited; a retried click and a later "no" change
# nothing. The message `not me` does the same: bob's with words at once,
# carol's bare one asks for words and publishes its outcome without them
# when the window closes. None counts as a confirmation or a denial;
# `sbctl report` (text, JSON, CSV) and the console's /api/v1/rules count
# them per rule and per source.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/console.sh"
. "$(dirname "$0")/lib/fake_slack.sh"
. "$(dirname "$0")/lib/fake_pagerduty.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/slack_user.sh" # its req (Slack's signed requests) replaces console.sh's
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 3
import_people alice:U001 bob:U002 carol:U003 dave:U004

SECRET="e2e-signing-secret-0123456789abcdef"
printf '%s\n' "$SECRET" >"$T_DIR/signing-secret"
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
start_fake_slack
fake_post config '{"users": {"alice@example.com": "U001", "bob@example.com": "U002",
  "carol@example.com": "U003", "dave@example.com": "U004"}, "channels": ["C0SECURITY"]}'
start_fake_pagerduty
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN SECURITYBOT_SECURITY_CHANNEL=C0SECURITY
export SECURITYBOT_COMMENT_WINDOW=15s SECURITYBOT_PAGERDUTY_ROUTING_KEY=$PD_KEY
export SECURITYBOT_PAGERDUTY_URL=$PD_URL SECURITYBOT_PAGE_SEVERITY=low

start_ingest
start_worker sb-prompt
start_worker sb-response
start_worker sb-escalation
start_gateway "$T_DIR/sb-gateway.log"

alert() { ctl alert send --user "$1" --source "$2" --rule "$3" --title "$4" --severity "${5:-medium}"; }
prompted() { wait_for "SELECT count(*) FROM alerts WHERE id = '$1' AND chat_ts IS NOT NULL" 1 30; }
row() { sql "SELECT concat_ws('/', status, status_reason, answer, outcome, second_factor, coalesce(comment, '-')) FROM alerts WHERE id = '$1'"; }
dm_of() { sql "SELECT a.chat_channel FROM alerts a JOIN employees e ON e.id = a.employee_id WHERE e.chat_user_id = '$1' AND a.chat_channel IS NOT NULL LIMIT 1"; }
last_text() { fake_q messages "([m['text'] for m in d['messages'] if m['channel'] == '$(dm_of "$1")' and 'blocks' not in m] or [''])[-1]"; }
wait_text() { # wait_text USER PATTERN: until the bot's last text to USER matches
	local i
	for ((i = 0; i < 100; i++)); do
		last_text "$1" | grep -q "$2" && return 0
		sleep 0.1
	done
	return 1
}
esc() { sql "SELECT concat_ws('/', reason, priority, severity) FROM escalations WHERE alert_id = '$1'"; }
audited() { sql "SELECT count(*) FROM audit_log WHERE alert_id = '$1' AND action = '$2'"; }

# ---- (1) the prompt has three buttons ----
a1=$(alert alice okta vpn-login "VPN login from a new country" high)
prompted "$a1"
check "$(fake_q messages "[[e['action_id'] for e in b['elements']] for m in d['messages'] for b in m.get('blocks', []) if b['type'] == 'actions' and b['elements'][0]['value'] == '$a1']")" \
	'[["sb_confirm", "sb_deny", "sb_not_me"]]' "alice's DM has the three buttons"
check "$(fake_q messages "[e['text']['text'] for m in d['messages'] for b in m.get('blocks', []) if b['type'] == 'actions' and b['elements'][0]['value'] == '$a1' for e in b['elements'][2:]]")" \
	'["Not me \u2014 wrong person"]' "the third one: Not me, wrong person"

# ---- (2) alice clicks "not me": escalated wrong_employee at low priority, her words asked for ----
clicked U001 not_me "$a1"
wait_topic escalation-requests "$a1" 1 || true
check "$(on_topic escalation-requests "$a1" | field "m['reason'], m['priority'], m['comment'], m['requested_by']")" \
	"('wrong_employee', 'low', None, 'sb-response')" "escalation request: wrong_employee, low priority, at once"
check "$(on_topic outcomes "$a1" | grep -c . || true)" 0 "the outcome waits for her words"
wait_text U001 "a few words" || true
check "$(last_text U001 | grep -c "isn't about you.*a few words")" 1 "her words are asked for"
# her words, well within the window (15 s)
said U001 "That's the other Alice, in Lisbon"
delivered "$a1"
check "$(esc "$a1")" "wrong_employee/low/high" "the escalation: wrong_employee, low, the alert's severity"
check "$(on_topic escalations "$a1" | field "m['reason'], m['priority'], m['second_factor'], m['second_factor_method']")" \
	"('wrong_employee', 'low', 'not_attempted', 'none')" "escalation.v1 says wrong_employee, low"
check "$(row "$a1")" "escalated/wrong_employee/not_me/wrong_employee/not_attempted/That's the other Alice, in Lisbon" \
	"the alert: answer not_me, outcome wrong_employee, her words"
check "$(fake_q messages "sum(1 for m in d['messages'] if m['channel'] == '$(dm_of U001)' and m.get('updates') and 'not me, wrong person' in str(m.get('blocks')) and 'sb_not_me' not in str(m.get('blocks')))")" 1 \
	"the prompt's buttons replaced by her answer"
check "$(pd_q events "[e['body']['payload']['severity'] + '/' + e['body']['payload']['class'] for e in d['events'] if e['body']['dedup_key'] == '$a1']")" \
	'["info/wrong_employee"]' "PagerDuty event at severity info (low urgency), not error"
check "$(fake_q messages "sum(1 for m in d['messages'] if m['channel'] == 'C0SECURITY' and '$a1' in m['text'] and 'wrong_employee' in m['text'] and 'low priority' in m['text'])")" \
	1 "the security channel's report says wrong_employee, low priority"
wait_topic outcomes "$a1" 1 || true
check "$(on_topic outcomes "$a1" | field "m['outcome'], m['answer'], m['comment'], m['second_factor']")" \
	"('wrong_employee', 'not_me', \"That's the other Alice, in Lisbon\", 'not_attempted')" "outcome wrong_employee with her words"
check "$(sql "SELECT comment FROM alerts WHERE id = '$a1'")" "That's the other Alice, in Lisbon" "her words recorded"
check "$(audited "$a1" wrong_employee):$(audited "$a1" comment_added):$(audited "$a1" escalated)" "1:1:1" "audited: the answer, her words, the escalation"
check "$(sql "SELECT concat_ws('/', actor, detail->>'escalation_reason', detail->>'to') FROM audit_log WHERE alert_id = '$a1' AND action = 'wrong_employee'")" \
	"chat:U001/wrong_employee/escalation_requested" "the audit row names who and why"

# a retried delivery of the click, and a "no" afterwards: nothing changes
check "$(req --payload "$(cat "$T_DIR/last-click")" | cut -f1)" 200 "Slack retries the click"
clicked U001 deny "$a1"
check "$(row "$a1")" "escalated/wrong_employee/not_me/wrong_employee/not_attempted/That's the other Alice, in Lisbon" "a later no is no denial"
check "$(audited "$a1" answer_refused_closed)" 1 "the no refused as closed, audited"
check "$(on_topic escalation-requests "$a1" | grep -c .):$(on_topic outcomes "$a1" | grep -c .)" "1:1" "one escalation request, one outcome"

# ---- (3) the message "not me" with words: the comment at once ----
b1=$(alert bob okta vpn-login "VPN login from a new country" low)
prompted "$b1"
said U002 "not me - I don't use the VPN"
wait_topic outcomes "$b1" 1 || true
check "$(row "$b1" | cut -d/ -f2-)" "wrong_employee/not_me/wrong_employee/not_attempted/I don't use the VPN" "bob's message: wrong_employee with his words"
check "$(on_topic escalation-requests "$b1" | field "m['reason'], m['priority'], m['comment']")" \
	"('wrong_employee', 'low', \"I don't use the VPN\")" "escalation request with his words"
check "$(on_topic outcomes "$b1" | field "m['outcome'], m['answer'], m['comment']")" \
	"('wrong_employee', 'not_me', \"I don't use the VPN\")" "outcome with his words"
check "$(audited "$b1" wrong_employee)" 1 "audited"
wait_text U002 "with your note" || true
check "$(last_text U002 | grep -c "isn't about you, with your note")" 1 "bob is thanked, no words asked"

# ---- (4) the bare message "not me": words asked for; none come before the window closes ----
c1=$(alert carol osquery ssh-login "SSH login as root" medium)
prompted "$c1"
said U003 "Not me"
wait_topic escalation-requests "$c1" 1 || true
check "$(on_topic escalation-requests "$c1" | field "m['reason'], m['priority'], m['comment']")" \
	"('wrong_employee', 'low', None)" "carol's message: escalation request at once, low"
wait_text U003 "a few words" || true
check "$(last_text U003 | grep -c "a few words")" 1 "her words are asked for"
wait_topic outcomes "$c1" 1 40 || true # SECURITYBOT_COMMENT_WINDOW=15s
check "$(on_topic outcomes "$c1" | field "m['outcome'], m['answer'], m['comment']")" \
	"('wrong_employee', 'not_me', None)" "the outcome without words once the window closed"

# ---- (5) dave denies as usual: the one denial of the run ----
d1=$(alert dave okta vpn-login "VPN login from a new country" medium)
prompted "$d1"
said U004 "no, I was asleep"
wait_topic outcomes "$d1" 1 || true

# ---- (6) never a confirmation or a denial ----
check "$(sql "SELECT string_agg(answer || ':' || outcome, ',' ORDER BY answer, outcome) FROM alerts WHERE answer IS NOT NULL")" \
	"deny:denied,not_me:wrong_employee,not_me:wrong_employee,not_me:wrong_employee" "only dave's is a denial"
check "$(sql "SELECT count(*) FROM responses WHERE kind = 'not_me'")" 1 "the click recorded as kind not_me (the retry deduplicated)"

# ---- (7) sbctl report: per rule and per source ----
ctl report --since 1h --format json >"$T_DIR/report.json"
check "$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
w = r["wrong_employee"]
outs = {o["outcome"]: o["alerts"] for o in r["by_outcome"]}
print(w["alerts"], sorted(w["by_rule"].items()), sorted(w["by_source"].items()), outs.get("wrong_employee"), outs.get("denied"), outs.get("confirmed"),
      {g["rule"]: g["outcomes"].get("wrong_employee") for g in r["by_rule"]}, [f["outcome"] for f in r["flagged"]])' "$T_DIR/report.json")" \
	"3 [('ssh-login', 1), ('vpn-login', 2)] [('okta', 2), ('osquery', 1)] 3 1 None {'vpn-login': 2, 'ssh-login': 1} ['denied']" \
	"report --format json: wrong_employee per rule and per source, not flagged as denials"
ctl report --since 1h >"$T_DIR/report.txt"
check "$(grep -c -e '^Wrong person ("not me", outcome wrong_employee): 3$' -e '^  by rule: vpn-login 2, ssh-login 1$' -e '^  by source: okta 2, osquery 1$' "$T_DIR/report.txt")" \
	3 "report (text): the wrong-person section"
ctl report --since 1h --format csv >"$T_DIR/report.csv"
check "$(python3 -c 'import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
print(sorted((r["section"], r["rule"] or r["source"], r["alerts"]) for r in rows if r["section"].startswith("wrong_employee")))' "$T_DIR/report.csv")" \
	"[('wrong_employee_rule', 'ssh-login', '1'), ('wrong_employee_rule', 'vpn-login', '2'), ('wrong_employee_source', 'okta', '2'), ('wrong_employee_source', 'osquery', '1')]" \
	"report --format csv: the same counts"

# ---- (8) the console's API: per rule and per source ----
start_console "$T_DIR/console.log"
TOK=$(console_token viewer viewer)
code=$(curl -s -o "$T_DIR/rules.json" -w '%{http_code}' -H "Authorization: Bearer $TOK" "$CONSOLE_URL/api/v1/rules")
check "$code" 200 "GET /api/v1/rules"
check "$(python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(sorted((r["rule"], r["wrong_employee"], r["denied"], r["confirmed"]) for r in d["rules"]), [(w["source"], w["wrong_employee"]) for w in d["wrong_employee_by_source"]])' "$T_DIR/rules.json")" \
	"[('ssh-login', 1, 0, 0), ('vpn-login', 2, 1, 0)] [('okta', 2), ('osquery', 1)]" "the console counts wrong_employee per rule and per source"

check "$(cat "$T_DIR"/*.log | grep -c '"level":"error"' || true)" 0 "no error logged"
finish
