#!/usr/bin/env bash
# sb-escalation on the real stack, every worker a separate process, Slack
# and PagerDuty played by fakes: a deny click becomes one escalation on the
# topic, one report in the security channel and (high, critical) one page;
# an unknown employee's alert is escalated with its outcome; silence gets a
# reminder, then a no_response escalation and outcome (timers shortened for
# low severity); a repeated request changes nothing; PagerDuty failures
# are retried until the page is accepted, once; then three replicas over
# 1,000 due alerts: exactly 1,000 reminders and 1,000 escalations.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/fake_slack.sh"
. "$(dirname "$0")/lib/fake_pagerduty.sh"
. "$(dirname "$0")/lib/gateway.sh"
. "$(dirname "$0")/lib/slack_user.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

setup_env 3
import_people alice:U001 bob:U002 carol:U003 dave:U004
SECRET="escalation-test-signing-secret-01"
printf '%s\n' "$SECRET" >"$T_DIR/signing-secret"
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret SECURITYBOT_REQUIRE_2FA=false
start_fake_slack
fake_post config '{"users": {"alice@example.com": "U001", "bob@example.com": "U002",
  "carol@example.com": "U003", "dave@example.com": "U004"}, "channels": ["C0SECURITY"]}'
start_fake_pagerduty
export SLACK_API_URL=$FAKE_URL SLACK_BOT_TOKEN=$FAKE_TOKEN
export SECURITYBOT_SECURITY_CHANNEL=C0SECURITY SECURITYBOT_PAGERDUTY_ROUTING_KEY=$PD_KEY
export SECURITYBOT_PAGERDUTY_URL=$PD_URL SECURITYBOT_ALERT_URL='https://siem.example/alerts/%s'
# each report links to the alert's page in sb-console
export SECURITYBOT_CONSOLE_URL=https://console.example/sb/
# silence is tested on low alerts: reminded after 2 s, escalated after 6 s
export SECURITYBOT_REMIND_AFTER_LOW=2s SECURITYBOT_ESCALATE_AFTER_LOW=6s
# the digest is checked with the replicas below; here it would add posts
export SECURITYBOT_DIGEST_EVERY=0

start_ingest
start_worker sb-prompt; PROMPT_PID=$WORKER_PID
start_worker sb-response; RESPONSE_PID=$WORKER_PID
start_worker sb-escalation SECURITYBOT_METRICS_LISTEN=127.0.0.1:0; ESC_PID=$WORKER_PID; ESC_LOG=$T_DIR/sb-escalation.$((${#T_PIDS[@]} - 1)).log
start_gateway "$T_DIR/sb-gateway.log"

alert() { ctl alert send --user "$1" --rule "$2" --title "$3" --severity "$4"; }
sent_sql() { echo "SELECT count(*) FROM alerts WHERE id = '$1' AND chat_ts IS NOT NULL"; }
reports_about() { fake_q messages "sum(1 for m in d['messages'] if m['channel'] == 'C0SECURITY' and '$1' in m['text'])"; }
report_of() { fake_q messages "[m['text'] for m in d['messages'] if m['channel'] == 'C0SECURITY' and '$1' in m['text']][0]"; }
pages_for() { pd_q events "sum(1 for e in d['events'] if e['body']['dedup_key'] == '$1')"; }

# ---- configuration errors exit 2 ----
rc=0; SECURITYBOT_ESCALATE_AFTER=0 "$SB_BIN_DIR/sb-escalation" 2>"$T_DIR/cfg.err" || rc=$?
check "$rc:$(grep -c SECURITYBOT_ESCALATE_AFTER "$T_DIR/cfg.err")" "2:1" "escalate-after 0 refused"
rc=0; SECURITYBOT_PAGERDUTY_URL=http://events.pagerduty.example/v2/enqueue "$SB_BIN_DIR/sb-escalation" 2>"$T_DIR/cfg.err" || rc=$?
check "$rc:$(grep -c 'SECURITYBOT_PAGERDUTY_URL must be an https:// URL' "$T_DIR/cfg.err")" "2:1" "a routing key over plain http to a remote host refused"
rc=0; SECURITYBOT_CONSOLE_URL='javascript:alert(1)' "$SB_BIN_DIR/sb-escalation" 2>"$T_DIR/cfg.err" || rc=$?
check "$rc:$(grep -c 'SECURITYBOT_CONSOLE_URL must be an http:// or https:// URL' "$T_DIR/cfg.err")" "2:1" "a console URL that is not http(s) refused"

# ---- (1) a deny click: one escalation, one report, one page (high) ----
a1=$(alert alice ssh-login "SSH login from a new country" high)
wait_for "$(sent_sql "$a1")" 1 30
click_ms=$(date +%s%3N)
check "$(click U001 deny "$a1")" 200 "alice clicks No"
wait_topic escalations "$a1" 1 || true
esc_ms=$(kcat -C -b "$SECURITYBOT_KAFKA_BROKERS" -t "${SECURITYBOT_TOPIC_PREFIX}escalations" -o beginning -e -q \
	-f '%k %T\n' | awk -v k="$a1" '$1 == k {print $2}')
log "click to escalation on the topic: $((esc_ms - click_ms)) ms"
check "$(on_topic escalations "$a1" | field "m['schema'], m['reason'], m['severity'], m['employee']['username'], m['alert']['title'], m['second_factor'], m['answered_at'] is not None")" \
	"('escalation.v1', 'denied', 'high', 'alice', 'SSH login from a new country', 'not_attempted', True)" "the escalation on the topic"
delivered "$a1"
check "$(reports_about "$a1")" 1 "one report in the security channel"
check "$(report_of "$a1" | grep -c -e 'Escalation' -e 'alice' -e 'SSH login from a new country' -e 'denied' -e "siem.example/alerts/$a1")" 5 "report: who, what, why, link"
check "$(report_of "$a1" | grep -c "^\*Console:\* https://console.example/sb/#/alert/$a1$")" 1 "report: the alert's page in the console"
check "$(pages_for "$a1")" 1 "one page"
check "$(pd_q events "[e['body']['payload']['severity'] for e in d['events'] if e['body']['dedup_key'] == '$a1']")" '["error"]' "high pages as PagerDuty 'error'"
check "$(sql "SELECT status FROM alerts WHERE id = '$a1'")" escalated "alert escalated"

# ---- (2) medium: reported, not paged ----
b1=$(alert bob data-export "Large download & export <zip>" medium)
wait_for "$(sent_sql "$b1")" 1 30
click U002 deny "$b1" >/dev/null
wait_for "SELECT count(*) FROM escalations WHERE alert_id = '$b1' AND delivered_at IS NOT NULL" 1 30
check "$(reports_about "$b1"):$(pages_for "$b1")" "1:0" "medium: one report, no page"
check "$(report_of "$b1" | grep -c -F 'Large download &amp; export &lt;zip&gt;')" 1 "the report escapes & < > once"
check "$(report_of "$b1" | grep -c -F '&amp;amp;')" 0 "and not twice"

# ---- (3) unknown employee (critical): escalation, outcome, page ----
u1=$(alert nobody@example.com impossible-travel "Login from two countries" critical)
delivered "$u1"
check "$(on_topic escalations "$u1" | field "m['reason'], m['employee']")" "('unknown_employee', None)" "unknown employee escalated"
wait_topic outcomes "$u1" 1 || true
check "$(on_topic outcomes "$u1" | field "m['outcome'], m['answer']")" "('unknown_employee', 'none')" "outcome unknown_employee, once"
check "$(pages_for "$u1")" 1 "critical paged"
check "$(report_of "$u1" | grep -c 'not in the directory')" 1 "report says the user is not in the directory"

# ---- (4) a repeated request changes nothing ----
req=$(on_topic escalation-requests "$a1" | head -1)
printf '%s\t%s\n' "$a1" "$req" | kcat -P -b "$SECURITYBOT_KAFKA_BROKERS" -t "${SECURITYBOT_TOPIC_PREFIX}escalation-requests" -K $'\t'
sleep 2
check "$(on_topic escalations "$a1" | grep -c .):$(reports_about "$a1"):$(pages_for "$a1")" "1:1:1" "still one escalation, report and page"
check "$(sql "SELECT count(*) FROM escalations")" 3 "three escalation rows"

# ---- (5) silence: a reminder, then no_response ----
# a title whose 200th byte falls inside a 2-byte character: the reminder cuts
# it on a character boundary (a byte cut made the whole message invalid)
long_title="USB drive mounted: $(printf 'é%.0s' {1..150})"
c1=$(alert carol usb "$long_title" low)
wait_for "$(sent_sql "$c1")" 1 30
wait_for "SELECT count(*) FROM alerts WHERE id = '$c1' AND reminded_at IS NOT NULL" 1 30
check "$(fake_q messages "sum(1 for m in d['messages'] if m['channel'] == '$(sql "SELECT chat_channel FROM alerts WHERE id = '$c1'")' and m['text'].startswith('Reminder:') and 'mounted: ' + 'é' * 90 + '\"' in m['text'])")" 1 \
	"one reminder in carol's DM, the multi-byte title cut on a character boundary"
delivered "$c1"
check "$(on_topic escalations "$c1" | field "m['reason'], m['answered_at']")" "('no_response', None)" "no_response escalation"
wait_topic outcomes "$c1" 1 || true
check "$(on_topic outcomes "$c1" | field "m['outcome'], m['answer'], m['second_factor']")" "('no_response', 'none', 'not_attempted')" "outcome no_response"
check "$(reports_about "$c1"):$(pages_for "$c1")" "1:0" "low: reported, not paged"
check "$(sql "SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE alert_id = '$c1'")" \
	"prompt_claimed,prompt_sent,reminded,escalation_requested,escalated" "audit trail of silence"
check "$(click U003 confirm "$c1")" 200 "a late click"
sleep 1
check "$(sql "SELECT status FROM alerts WHERE id = '$c1'")" escalated "a click after the escalation changes nothing"

# ---- (6) PagerDuty failing: retried until accepted, paged once ----
curl -fsS -X POST -d '{"count": 7, "status": 500}' "$PD_CTL/fail" >/dev/null
d1=$(alert dave malware "Malware detected" critical)
wait_for "$(sent_sql "$d1")" 1 30
click U004 deny "$d1" >/dev/null
wait_for "SELECT count(*) FROM escalations WHERE alert_id = '$d1' AND last_error LIKE 'pagerduty%'" 1 30
check "$(reports_about "$d1")" 1 "reported while PagerDuty fails"
delivered "$d1" 60
check "$(pages_for "$d1")" 1 "paged once after the failures"
check "$(pd_q violations "d['count']")" 0 "nothing PagerDuty would refuse"
check "$(fake_q violations "d['count']")" 0 "nothing Slack would refuse"
# ---- (6b) an employee who opts out while an alert waits is not asked ----
d2=$(alert dave r2 "Dave two" medium)
wait_for "$(sent_sql "$d2")" 1 30
d3=$(alert dave r3 "Dave three (waits)" medium)
wait_for "SELECT status FROM alerts WHERE id = '$d3'" queued 30
ctl employees optout dave --reason "on leave" >/dev/null
click U004 deny "$d2" >/dev/null
delivered "$d3"
check "$(on_topic escalations "$d3" | field "m['reason']")" "opted_out" "the waiting alert escalated as opted_out"
check "$(sql "SELECT count(*) FROM alerts WHERE id = '$d3' AND prompted_at IS NULL AND chat_ts IS NULL")" 1 "and never prompted"
wait_topic outcomes "$d3" 1 || true
check "$(on_topic outcomes "$d3" | field "m['outcome']")" "opted_out" "outcome opted_out"

# ---- metrics of the replica that did all this ----
mport=$(grep -o '"msg":"metrics listening".*' "$ESC_LOG" | grep -o '"port":"[0-9]*"' | tr -dc 0-9)
# (the last offset commit is asynchronous: give it a moment)
for ((i = 0; i < 50; i++)); do
	curl -fsS "http://127.0.0.1:$mport/metrics" >"$T_DIR/metrics.txt"
	grep -q '^securitybot_consumer_lag{worker="sb-escalation"} 0$' "$T_DIR/metrics.txt" && break
	sleep 0.1
done
check "$(grep -c '^securitybot_messages_produced_total{worker="sb-escalation",topic="[^"]*escalations"} 7$' "$T_DIR/metrics.txt")" 1 "metrics: 7 escalations produced"
check "$(grep -c '^securitybot_consumer_lag{worker="sb-escalation"} 0$' "$T_DIR/metrics.txt")" 1 "metrics: consumer lag 0"
check "$(grep -c '^securitybot_batch_seconds_count{worker="sb-escalation"} [1-9]' "$T_DIR/metrics.txt")" 1 "metrics: latency histogram"
check "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/healthz")" 200 "metrics: /healthz"
stop_worker "$ESC_PID"

# ---- (7) three replicas over 1,000 due alerts ----
sql "INSERT INTO employees (username, chat_user_id)
       SELECT 'load' || i, 'UL' || i FROM generate_series(1, 1000) i" >/dev/null
sql "INSERT INTO alerts (id, source, rule, title, username, severity, occurred_at, raw, employee_id,
       status, src_topic, src_partition, src_offset, prompted_at, chat_channel, chat_ts)
     SELECT md5('load' || e.id) || md5('load2' || e.id), 'loadtest', 'load-rule', 'Load ' || e.id,
       e.username, 'medium', now(), json_build_object('source', 'loadtest', 'title', 'Load ' || e.id),
       e.id, 'prompted', 'load', 0, e.id, now() - interval '2 seconds', 'console:' || e.chat_user_id, '1.0'
     FROM employees e WHERE e.username LIKE 'load%'" >/dev/null
PIDS=() LOGS=()
for _ in 1 2 3; do # three replicas
	LOGS+=("$T_DIR/sb-escalation.${#T_PIDS[@]}.log")
	start_worker sb-escalation SECURITYBOT_CHAT=console SECURITYBOT_CONSOLE_LOG="$T_DIR/console.log" \
		SECURITYBOT_SECURITY_CHANNEL=security SECURITYBOT_REMIND_AFTER_MEDIUM=1s \
		SECURITYBOT_ESCALATE_AFTER_MEDIUM=10s SECURITYBOT_DIGEST_EVERY=1m
	PIDS+=("$WORKER_PID")
done
wait_for "SELECT count(*) FROM escalations WHERE alert_id IN (SELECT id FROM alerts WHERE source = 'loadtest') AND delivered_at IS NOT NULL" 1000 120
sleep 2
check "$(sql "SELECT count(*) FROM audit_log WHERE action = 'reminded' AND alert_id IN (SELECT id FROM alerts WHERE source = 'loadtest')")" 1000 "1,000 reminders recorded"
check "$(python3 -c 'import json, sys
ls = [json.loads(l) for l in open(sys.argv[1])]
texts = [l for l in ls if l["op"] == "text" and l["text"].startswith("Reminder:")]
reports = [l for l in ls if l["op"] == "channel" and not l["text"].startswith("*securitybot digest*")]
print(len(texts), len({l["channel"] for l in texts}), len(reports))' "$T_DIR/console.log")" "1000 1000 1000" "1,000 reminders to 1,000 people, 1,000 reports"
check "$(topic_dump escalations | cut -f4 | python3 -c 'import json, sys
ms = [json.loads(l) for l in sys.stdin if "loadtest" in l]
print(len(ms), len({m["alert_id"] for m in ms}), {m["reason"] for m in ms})')" "1000 1000 {'no_response'}" "1,000 escalations on the topic, one per alert"
check "$(topic_dump outcomes | grep -c '"no_response"')" 1001 "1,000 no_response outcomes (+ carol's)"
check "$(sql "SELECT count(DISTINCT actor) FROM audit_log WHERE action = 'reminded'")" 1 "audit actor"
# three replicas, one digest per period (each minute here): as many posts as rows
check "$(python3 -c 'import json, sys
ls = [json.loads(l) for l in open(sys.argv[1])]
d = [l for l in ls if l["op"] == "channel" and l["text"].startswith("*securitybot digest*")]
print(len(d) >= 1, len(d), len({l["text"].splitlines()[0] for l in d}))' "$T_DIR/console.log")" \
	"True $(sql "SELECT count(*) FROM digests") $(sql "SELECT count(*) FROM digests")" "one digest per period across three replicas"
check "$(for l in "${LOGS[@]}"; do grep -c '"msg":"escalated"' "$l"; done | awk '$1 > 0' | wc -l)" 3 "all three replicas escalated some"
# the audit chain: the replicas sealed what every worker wrote, and each
# digest carries the chain's head as it was when it was posted
wait_for "SELECT count(*) FROM audit_pending" 0 30
check "$("$SB_BIN_DIR/sbctl" audit verify | grep -c "verified: $(sql "SELECT count(*) FROM audit_log") rows")" 1 \
	"sbctl audit verify: every audit row sealed by the three replicas, the chain intact"
# shellcheck disable=SC2016 # the backquotes are Slack's, in a Python regex
check "$(python3 -c 'import json, re, sys
ls = [json.loads(l) for l in open(sys.argv[1])]
d = [l["text"] for l in ls if l["op"] == "channel" and l["text"].startswith("*securitybot digest*")]
print(all(re.search(r"`audit chain: [0-9]+ rows, latest hash [0-9a-f]{64}`$", t) for t in d))' "$T_DIR/console.log")" \
	True "every digest ends with the audit chain's head"
for p in "${PIDS[@]}" "$PROMPT_PID" "$RESPONSE_PID" "$INGEST_PID" "$GW_PID"; do stop_worker "$p"; done
kill "$PD_PID" 2>/dev/null || true
wait "$PD_PID" 2>/dev/null || true
check "$(cat "$T_DIR"/*.log | grep -c -e "$PD_KEY" -e "$FAKE_TOKEN" -e "$SECRET" || true)" 0 "no secret in any log"
stop_fake_slack
finish
