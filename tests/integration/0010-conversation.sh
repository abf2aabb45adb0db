#!/usr/bin/env bash
# The whole conversation on the real stack, every worker a separate
# process (sb-ingest, sb-prompt, sb-gateway, sb-response) and Slack played
# by the fake: an alert reaches its employee as a DM with two buttons; a
# deny click publishes an escalation request at once and the employee's
# next words become the outcome's comment; confirm + the right code is a
# confirmed outcome; three wrong codes are second_factor_failed; a replayed
# code is refused; no second factor enrolled is confirmed_unverified
# (escalated at low priority); forged and stale requests never reach
# sb-response; another user's click is refused and audited; a redelivered
# event changes nothing; commands (help, status, ignore refused without a
# second factor, test); a 429
# storm delays a reply but loses nothing; the console platform with
# `sbctl respond`; no code or secret in any log.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/slack_user.sh"
. "$(dirname "$0")/lib/totp.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 3
import_people alice:U001 bob:U002 carol:U003 dave:U004 erin:U005 frank:U006 grace:U007 mallory:U009
totp_setup alice carol dave grace

SECRET="e2e-signing-secret-0123456789abcdef"
printf '%s\n' "$SECRET" >"$T_DIR/signing-secret"
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
start_fake_slack
fake_post config "{\"users\": {$(for i in 1 2 3 4 5 6 7 9; do printf '"u%s@example.com": "U00%s",' $i $i; done | sed 's/,$//')}}"
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN SECURITYBOT_COMMENT_WINDOW=15s

start_ingest
start_worker sb-prompt; PROMPT_PID=$WORKER_PID
start_worker sb-response; RESPONSE_PID=$WORKER_PID
start_gateway "$T_DIR/sb-gateway.log"

# ---- Slack's side: signed requests to the gateway ----
alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity "${4:-medium}"; }
status_of() { sql "SELECT status FROM alerts WHERE id = '$1'"; }
sent_sql() { echo "SELECT count(*) FROM alerts WHERE id = '$1' AND chat_ts IS NOT NULL"; }
# the texts (not prompts) the bot sent to a chat user, in order, one per line
texts_to() {
	fake_q messages "'\n'.join(m['text'] for m in d['messages'] if m['channel'] == '$(dm_of "$1")' and 'blocks' not in m)"
}
dm_of() { sql "SELECT a.chat_channel FROM alerts a JOIN employees e ON e.id = a.employee_id WHERE e.chat_user_id = '$1' AND a.chat_channel IS NOT NULL LIMIT 1"; }
last_text() { texts_to "$1" | tail -n 1; }
events=0
expect_events() { events=$((events + $1)); handled "$events"; }

# ---- (1) an alert becomes a DM with two buttons ----
a1=$(alert alice ssh-login "SSH login from a new country" high)
wait_for "$(sent_sql "$a1")" 1 30
check "$(fake_q messages "[[e['action_id'] for e in b['elements']] for m in d['messages'] for b in m.get('blocks', []) if b['type'] == 'actions' and b['elements'][0]['value'] == '$a1']")" \
	'[["sb_confirm", "sb_deny", "sb_not_me"]]' "alice's DM has the three buttons"

# ---- (2) what never reaches sb-response: forged, stale, future ----
check "$(click U001 deny "$a1" forged)" 401 "forged signature refused"
check "$(click U001 deny "$a1" good -400)" 401 "timestamp 400 s old refused"
check "$(click U001 deny "$a1" good 400)" 401 "timestamp 400 s ahead refused"
check "$(click U001 deny "$a1" other-body)" 401 "signature of another body refused"
sleep 1
check "$(topic_dump responses | grep -c . || true)" 0 "nothing published for refused requests"
check "$(status_of "$a1")" prompted "alert unchanged"

# ---- (3) another employee's click is refused and audited ----
check "$(click U009 deny "$a1")" 200 "mallory's click accepted by the gateway"
expect_events 1
check "$(status_of "$a1")" prompted "mallory's deny changed nothing"
check "$(sql "SELECT action || ' ' || (detail->>'chat_user_id') FROM audit_log WHERE alert_id = '$a1' AND action LIKE 'answer_refused%'")" \
	"answer_refused_not_owner U009" "refusal in audit_log"
check "$(on_topic escalation-requests "$a1" | grep -c . || true)" 0 "no escalation request from mallory's click"
check "$(dm UX42 "no")" 200 "a stranger's message accepted by the gateway"
expect_events 1
check "$(sql "SELECT count(*) FROM audit_log WHERE action = 'answer_refused' AND detail->>'reason' = 'unknown_chat_user'")" 1 "stranger audited as unknown_chat_user"

# ---- (4) confirm + the right code: confirmed ----
check "$(click U001 confirm "$a1")" 200 "alice confirms"
expect_events 1
check "$(status_of "$a1")" awaiting_code "awaiting the code"
for ((i = 0; i < 50; i++)); do last_text U001 | grep -q 6-digit && break; sleep 0.1; done
check "$(last_text U001 | grep -c '6-digit code')" 1 "asked for the code"
check "$(fake_q messages "[(m['updates'], any(b['type'] == 'actions' for b in m['blocks'])) for m in d['messages'] if m['ts'] == '$(sql "SELECT chat_ts FROM alerts WHERE id = '$a1'")']")" \
	"[[1, false]]" "buttons replaced by chat.update"
# Slack retries the same click (same action_ts): one effect
req --payload "$(cat "$T_DIR/last-click")" >/dev/null
sleep 1
check "$(sql "SELECT count(*) FROM audit_log WHERE alert_id = '$a1' AND action = 'code_requested'")" 1 "retried click applied once"
fresh_step
good=$(code alice)
check "$(dm U001 "${good:0:3} ${good:3}")" 200 "alice sends her code (with a space)"
expect_events 1
wait_for "SELECT status || '/' || second_factor FROM alerts WHERE id = '$a1'" "confirmed/passed" 30
wait_topic outcomes "$a1" 1 || true
check "$(on_topic outcomes "$a1" | field "m['outcome'], m['answer'], m['second_factor'], m['employee_id'] is not None, 'answered_at' in m")" \
	"('confirmed', 'confirm', 'passed', True, True)" "one confirmed outcome"
check "$(on_topic escalation-requests "$a1" | grep -c . || true)" 0 "no escalation for a confirmed alert"
check "$(sql "SELECT count(*) FROM responses WHERE text LIKE '%$good%'")" 0 "the code is not stored"

# ---- (5) a replayed code is refused; the next fresh one works ----
a2=$(alert alice r2 "Second alice alert" low)
wait_for "$(sent_sql "$a2")" 1 30
click U001 confirm "$a2" >/dev/null
expect_events 1
check "$(dm U001 "$good")" 200 "alice replays her code"
expect_events 1
check "$(sql "SELECT status || '/' || code_failures FROM alerts WHERE id = '$a2'")" "awaiting_code/1" "replayed code refused (counts as wrong)"
check "$(last_text U001 | grep -c "didn't work")" 1 "told the code didn't work"
dm U001 "$(code alice -3)" >/dev/null
expect_events 1
check "$(sql "SELECT code_failures FROM alerts WHERE id = '$a2'")" 2 "a code from 90 s ago refused"

# ---- (6) three wrong codes: second_factor_failed ----
c1=$(alert carol r1 "Carol's alert" critical)
wait_for "$(sent_sql "$c1")" 1 30
click U003 confirm "$c1" >/dev/null
expect_events 1
fresh_step
right=$(code carol)
wrong=$(printf '%06d' $(((10#$right + 1) % 1000000)))
dm U003 "12a456" >/dev/null # not a code: not counted
dm U003 "12345" >/dev/null  # too short: not counted
expect_events 2
check "$(sql "SELECT code_failures FROM alerts WHERE id = '$c1'")" 0 "malformed codes not counted"
for n in 1 2 3; do dm U003 "$wrong" >/dev/null; done
expect_events 3
check "$(sql "SELECT status || '/' || status_reason || '/' || second_factor || '/' || code_failures FROM alerts WHERE id = '$c1'")" \
	"escalation_requested/second_factor_failed/failed/3" "third wrong code: second_factor_failed"
wait_topic escalation-requests "$c1" 1 || true
check "$(on_topic escalation-requests "$c1" | field "m['reason'], m['priority'], m['requested_by']")" \
	"('second_factor_failed', 'high', 'sb-response')" "escalation request second_factor_failed"
check "$(on_topic outcomes "$c1" | field "m['outcome'], m['second_factor']")" "('second_factor_failed', 'failed')" "outcome second_factor_failed"
dm U003 "$right" >/dev/null
expect_events 1
check "$(status_of "$c1")" escalation_requested "a right code after the escalation changes nothing"
check "$(last_text U003)" "I'm not waiting for a code from you right now." "told no code is expected"

# ---- (7) a replayed code across alerts (dave): previous step accepted, then refused ----
d1=$(alert dave r1 "Dave one" medium)
wait_for "$(sent_sql "$d1")" 1 30
click U004 confirm "$d1" >/dev/null
expect_events 1
fresh_step
prev=$(code dave -1)
dm U004 "$prev" >/dev/null
expect_events 1
check "$(status_of "$d1")" confirmed "the previous step's code accepted (clock drift window)"
d2=$(alert dave r2 "Dave two" medium)
wait_for "$(sent_sql "$d2")" 1 30
click U004 confirm "$d2" >/dev/null
expect_events 1
dm U004 "$prev" >/dev/null
expect_events 1
check "$(sql "SELECT status || '/' || code_failures FROM alerts WHERE id = '$d2'")" "awaiting_code/1" "the same code refused on the next alert"
fresh_step
dm U004 "$(code dave)" >/dev/null
expect_events 1
check "$(status_of "$d2")" confirmed "a fresh code accepted"

# ---- (8) no second factor: confirmed_unverified, escalated at low priority ----
b1=$(alert bob r1 "Bob's alert" critical)
wait_for "$(sent_sql "$b1")" 1 30
dm U002 "yes 123456" >/dev/null # a yes by message; the "code" is not a comment
expect_events 1
check "$(sql "SELECT status || '/' || second_factor || '/' || coalesce(comment, 'none') FROM alerts WHERE id = '$b1'")" \
	"confirmed_unverified/not_enrolled/none" "bob confirmed_unverified"
check "$(sql "SELECT count(*) FROM responses WHERE text LIKE '%123456%'")" 0 "a code after yes is not stored"
wait_topic escalation-requests "$b1" 1 || true
check "$(on_topic escalation-requests "$b1" | field "m['reason'], m['priority']")" "('unverified_confirmation', 'low')" "low-priority escalation request"
check "$(on_topic outcomes "$b1" | field "m['outcome']")" "confirmed_unverified" "outcome confirmed_unverified"

# ---- (9) "no" by message, with words: escalation request and outcome carry them ----
b2=$(alert bob r2 "Bob's second" high)
wait_for "$(sent_sql "$b2")" 1 30
check "$(sql "SELECT count(*) FROM alerts WHERE id = '$b2' AND prompted_at IS NOT NULL")" 1 "bob's next alert sent after the first ended"
dm U002 "No - I was at lunch" >/dev/null
expect_events 1
check "$(sql "SELECT status || '/' || answer || '/' || comment FROM alerts WHERE id = '$b2'")" "denied/deny/I was at lunch" "denied with the comment"
wait_topic outcomes "$b2" 1 || true
check "$(on_topic escalation-requests "$b2" | field "m['reason'], m['comment']")" "('denied', 'I was at lunch')" "escalation request carries the words"
check "$(on_topic outcomes "$b2" | field "m['outcome'], m['answer'], m['comment']")" "('denied', 'deny', 'I was at lunch')" "outcome carries the words"

# ---- (10) deny click: escalation request at once, the next message is the comment ----
e1=$(alert erin r1 "Erin's alert" high)
wait_for "$(sent_sql "$e1")" 1 30
click U005 deny "$e1" >/dev/null
expect_events 1
wait_topic escalation-requests "$e1" 1 || true
check "$(on_topic escalation-requests "$e1" | field "m['reason'], m['comment']")" "('denied', None)" "escalation request published at once"
check "$(on_topic outcomes "$e1" | grep -c . || true)" 0 "the outcome waits for her words"
dm U005 "My laptop was stolen yesterday" >/dev/null
expect_events 1
wait_topic outcomes "$e1" 1 || true
check "$(on_topic outcomes "$e1" | field "m['outcome'], m['comment']")" "('denied', 'My laptop was stolen yesterday')" "outcome with the follow-up comment"
f1=$(alert frank r1 "Frank's alert" medium)
wait_for "$(sent_sql "$f1")" 1 30
click U006 deny "$f1" >/dev/null
expect_events 1
wait_topic outcomes "$f1" 1 40 || true # SECURITYBOT_COMMENT_WINDOW=15s (long enough for a loaded CI machine to send erin's words in time)
check "$(on_topic outcomes "$f1" | field "m['outcome'], m['comment']")" "('denied', None)" "outcome without words after the window"
dm U006 "too late to matter" >/dev/null
expect_events 1
check "$(last_text U006)" "Sorry, I didn't understand that. Try *help*." "words after the window are not a comment"
check "$(on_topic outcomes "$f1" | grep -c .)" 1 "still one outcome"

# ---- (11) commands ----
dm U002 help >/dev/null; expect_events 1
check "$(texts_to U002 | grep -c "^I'm securitybot: I ask you")" 1 "help"
dm U002 status >/dev/null; expect_events 1
check "$(last_text U002)" "You have no open questions. Thank you!" "status"
dm U002 "ignore 99999h" >/dev/null; expect_events 1
check "$(last_text U002)" "I can snooze a rule for at most 4 hours." "absurd ignore refused"
# bob has no second factor: a guarded change is refused (0028 covers the rest)
dm U002 "ignore 2h" >/dev/null; expect_events 1
check "$(sql "SELECT count(*) FROM ignore_rules")" 0 "ignore without a second factor: no rule"
check "$(last_text U002)" "You have no second factor enrolled, so I can't make this change: ask the security team." "ignore refused"
check "$(sql "SELECT detail->>'reason' || ' ' || (detail->>'rule') FROM audit_log WHERE action = 'change_refused'")" "not_enrolled r2" "the refusal audited, for the last rule"
dm U002 "test" >/dev/null; expect_events 1
wait_for "SELECT count(*) FROM alerts WHERE rule = 'securitybot-test' AND chat_ts IS NOT NULL" 1 30
check "$(sql "SELECT username || ' ' || severity FROM alerts WHERE rule = 'securitybot-test'")" "bob low" "test alert through the whole pipeline"
dm U002 "what is this" >/dev/null; expect_events 1
check "$(last_text U002)" "Sorry, I didn't understand that. Try *help*." "free text not understood"

# ---- (12) a redelivered response event changes nothing ----
g1=$(alert grace r1 "Grace's alert" low)
wait_for "$(sent_sql "$g1")" 1 30
click U007 deny "$g1" >/dev/null
expect_events 1
ev=$(topic_dump responses | awk -F'\t' '$1 == "U007"' | tail -n 1 | cut -f4)
printf 'U007\t%s\n' "$ev" | kcat -P -b "$SECURITYBOT_KAFKA_BROKERS" -t "${SECURITYBOT_TOPIC_PREFIX}responses" -K $'\t'
sleep 2
check "$(sql "SELECT count(*) FROM audit_log WHERE alert_id = '$g1' AND action = 'denied'")" 1 "redelivery applied once"
check "$(on_topic escalation-requests "$g1" | grep -c .)" 1 "one escalation request"

# ---- (13) a 429 storm delays a reply, loses nothing ----
f2=$(alert frank r2 "Frank's second" medium)
wait_for "$(sent_sql "$f2")" 1 30
fake_post fail '{"method": "chat.postMessage", "count": 3, "status": 429, "retry_after": 1}'
click U006 confirm "$f2" >/dev/null
expect_events 1
check "$(status_of "$f2")" confirmed_unverified "frank's answer recorded during the storm"
for ((i = 0; i < 100; i++)); do last_text U006 | grep -q 'double-check' && break; sleep 0.1; done
check "$(last_text U006 | grep -c 'double-check')" 1 "the reply arrived after the 429s"
check "$(fake_q calls "sum(1 for c in d['calls'] if c.get('injected'))")" 3 "three 429s were met"

# ---- (14) SECURITYBOT_REQUIRE_2FA=false, console platform and sbctl respond ----
stop_worker "$RESPONSE_PID"
stop_worker "$PROMPT_PID"
export SECURITYBOT_CHAT=console SECURITYBOT_CONSOLE_LOG=$T_DIR/console.log
start_worker sb-prompt SECURITYBOT_PROMPT_GROUP=console-$$; PROMPT_PID=$WORKER_PID
start_worker sb-response SECURITYBOT_RESPONSE_GROUP=console-$$ SECURITYBOT_REQUIRE_2FA=false
RESPONSE_PID=$WORKER_PID
h1=$(ctl alert send --user erin --rule console-rule --title "Console alert" --severity high)
wait_for "$(sent_sql "$h1")" 1 30
check "$(ctl respond erin yes "${h1:0:12}" | cut -c1-8)" "console-" "sbctl respond (alert id prefix)"
wait_for "SELECT status || '/' || second_factor FROM alerts WHERE id = '$h1'" "confirmed/not_enrolled" 30
check "$(python3 -c 'import json, sys
ops = [json.loads(l)["op"] for l in open(sys.argv[1])]
print(ops)' "$T_DIR/console.log")" "['prompt', 'update', 'text']" "console log: prompt, update, thank-you"
rc=0; ctl respond nobody yes "$h1" 2>/dev/null || rc=$?
check "$rc" 1 "sbctl respond: unknown user exits 1"
rc=0; ctl respond erin yes deadbeefdeadbeef 2>/dev/null || rc=$?
check "$rc" 1 "sbctl respond: unknown alert exits 1"
# a Slack event reaching a console deployment is refused
dm U005 "no" >/dev/null
for ((i = 0; i < 50; i++)); do [[ $(sql "SELECT count(*) FROM audit_log WHERE detail->>'reason' = 'other_platform'") == 1 ]] && break; sleep 0.1; done
check "$(sql "SELECT count(*) FROM audit_log WHERE detail->>'reason' = 'other_platform'")" 1 "answer from another platform refused"

# ---- (15) no secret anywhere in the logs; Slack saw nothing it would refuse ----
check "$(fake_q violations "d['count']")" 0 "violations at the fake"
stop_worker "$RESPONSE_PID"
stop_worker "$PROMPT_PID"
stop_worker "$GW_PID"
stop_worker "$INGEST_PID"
# a code as a number of its own (not the tail of a "seconds.micros" ts)
codes_re="(^|[^0-9.])($good|$right|$wrong|$prev)([^0-9]|\$)"
check "$(cat "$T_DIR"/*.log | grep -cE "$codes_re" || true)" 0 "no code in any log"
check "$(cat "$T_DIR"/*.log | grep -c -e "$SECRET" -e "$FAKE_TOKEN" -e "$(cat "$T_DIR/key")" || true)" 0 "no secret in any log"
stop_fake_slack
finish
