#!/usr/bin/env bash
# sbctl as an operator uses it, on the real stack with the real sb-ingest:
# --help and exit codes of every command; alerts list/show (the
# conversation and the audit trail, no secret); the report's numbers
# against what the test created; opt-out and ignore rules as sb-ingest
# applies them; dead letters listed, replayed byte for byte (dry run
# first, never twice), then ingested or dead-lettered again. States that
# need the chat loop are written with SQL.
. "$(dirname "$0")/lib/common.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }
# run ARGS...: sbctl's exit status; its stdout in $OUT, stderr in $ERR
OUT=$T_DIR/out ERR=$T_DIR/err
run() {
	local rc=0
	"$SB_BIN_DIR/sbctl" "$@" >"$OUT" 2>"$ERR" || rc=$?
	echo "$rc"
}
# py EXPR: EXPR evaluated with d = the JSON in $OUT ("invalid" if it is not JSON)
py() {
	python3 "$SB_SOURCE_DIR/tests/integration/lib/json_eval.py" "$OUT" "$1"
}
json_ok() { python3 -m json.tool "$OUT" >/dev/null 2>&1 && echo valid || echo invalid; }

# ---- every command answers --help; usage errors exit 2 ----
for cmd in migrate topics employees enroll alert alerts ignore respond report dlq audit; do
	rc=$(run "$cmd" --help)
	check "$rc:$(grep -c '^Usage: sbctl' "$OUT")" "0:1" "sbctl $cmd --help"
done
for args in "alerts" "alerts list --format xml" "alerts list --status nope" "alerts list --limit 0" \
	"alerts show" "alerts show xyz" "alerts show 1234" "report --since yesterday" \
	"report --since 1h --until 2h" "report --format yaml" "ignore add alice r" \
	"ignore add alice r --for 31d" "ignore add alice r --for 30s" "ignore remove x" "dlq" \
	"dlq list --limit -3" "dlq replay --since soon" "employees optout" "employees optin a b" \
	"alerts list --bogus"; do
	# shellcheck disable=SC2086
	check "$(run $args)" 2 "sbctl $args: usage error"
done
for args in "alerts list" "alerts show 0123456789" "report" "ignore list" "dlq list" \
	"employees optout alice" "ignore remove 1"; do
	# shellcheck disable=SC2086
	check "$(SECURITYBOT_DATABASE_URL=postgresql://securitybot@127.0.0.1:1/none run $args)" 3 \
		"sbctl $args: PostgreSQL unreachable"
done

setup_env 3
import_people alice:U001:ali bob:U002 carol:U003 dave:U004:d.ops erin:U005
t0=$(date -u -d '-2 seconds' +%Y-%m-%dT%H:%M:%SZ)

# ---- alerts through sb-ingest, and three dead letters ----
declare -A ID
send() { ID[$1]=$(ctl alert send --user "$2" --rule "$3" --title "$4" --severity "$5"); }
send a1 alice ssh-login "SSH a1" high
send a2 bob ssh-login "SSH a2" high
send a3 carol ssh-login "SSH a3" medium
send a4 erin ssh-login "SSH a4" low
send b1 alice big-download "Download b1" medium
send b2 bob big-download "Download b2" medium
send b3 carol big-download "Download b3" medium
# an unknown user, and a title with a terminal escape (valid JSON: \u001b)
printf '{"source":"vpn","rule":"vpn","title":"VPN \\u001b[31mred","user":"ghost","occurred_at":"%s"}' \
	"$(date -u +%Y-%m-%dT%H:%M:%SZ)" >"$T_DIR/c1.json"
ctl alert send --file "$T_DIR/c1.json" --key c1 >/dev/null
printf '{"source":"x","rule":"r","title":"t","user":"alice"}' >"$T_DIR/miss.json"
ctl alert send --file "$T_DIR/miss.json" --key k-miss >/dev/null
printf 'not json at all' >"$T_DIR/bad.json"
ctl alert send --file "$T_DIR/bad.json" --key k-json >/dev/null
printf '{"source":"x","rule":"r","title":"\xff","user":"alice","occurred_at":"2026-11-29T10:00:00Z"}\n' >"$T_DIR/bin.txt"
kcat -P -b "$SECURITYBOT_KAFKA_BROKERS" -t "${SECURITYBOT_TOPIC_PREFIX}alerts" -k k-bin -l "$T_DIR/bin.txt"
start_ingest
wait_ingested 11 60
ID[c1]=$(sql "SELECT id FROM alerts WHERE rule = 'vpn'")
check "$(sql "SELECT status || '/' || status_reason FROM alerts WHERE id = '${ID[c1]}'")" \
	"escalation_requested/unknown_employee" "an unknown user's alert"
check "$(sql 'SELECT count(*) FROM dead_letters')" 3 "dead letters recorded"

# ---- the chat loop's results, written directly ----
# answered after 10, 30, 50 and 20 s: median 25 s over 4 answered of 6 prompted
sql "UPDATE alerts SET prompted_at = received_at + interval '5 s', status = s.status,
       outcome = s.outcome, answer = s.answer, comment = s.comment, second_factor = s.sf,
       answered_at = received_at + interval '5 s' + s.wait * interval '1 s',
       decided_at = CASE WHEN s.outcome IS NOT NULL THEN now() END
     FROM (VALUES ('${ID[a1]}', 'confirmed', 'confirmed', 'confirm', NULL, 'passed', 10),
                  ('${ID[a2]}', 'escalated', 'denied', 'deny', 'I was at lunch, \"really\"', 'not_attempted', 30),
                  ('${ID[a3]}', 'escalated', 'second_factor_failed', 'confirm', NULL, 'failed', 50),
                  ('${ID[a4]}', 'escalated', 'no_response', NULL, NULL, NULL, NULL),
                  ('${ID[b1]}', 'confirmed_unverified', 'confirmed_unverified', 'confirm', NULL, 'not_enrolled', 20),
                  ('${ID[b2]}', 'prompted', NULL, NULL, NULL, NULL, NULL))
       AS s(id, status, outcome, answer, comment, sf, wait)
     WHERE alerts.id = s.id"
sql "UPDATE alerts SET outcome = 'unknown_employee', status = 'escalated' WHERE id = '${ID[c1]}'"
# a2's conversation: the button, then words (recorded without an alert id,
# linked by the audit row that handled them), and a refused click by someone else
sql "INSERT INTO responses (event_id, platform, chat_user_id, alert_id, kind, text, received_at)
     SELECT 'ev-deny', 'slack', 'U002', id, 'deny', '', received_at + interval '35 s' FROM alerts WHERE id = '${ID[a2]}'
     UNION ALL SELECT 'ev-words', 'slack', 'U002', NULL, 'text', 'I was at lunch, \"really\"', received_at + interval '40 s' FROM alerts WHERE id = '${ID[a2]}'
     UNION ALL SELECT 'ev-other', 'slack', 'U003', id, 'confirm', '', received_at + interval '45 s' FROM alerts WHERE id = '${ID[a2]}'"
sql "INSERT INTO audit_log (at, actor, action, alert_id, employee_id, detail)
     SELECT received_at + interval '5 s', 'sb-prompt', 'prompt_sent', id, employee_id, '{\"channel\": \"D002\", \"ts\": \"1.2\"}'::jsonb FROM alerts WHERE id = '${ID[a2]}'
     UNION ALL SELECT received_at + interval '35 s', 'chat:U002', 'deny', id, employee_id, '{\"event_id\": \"ev-deny\", \"to\": \"denied\"}' FROM alerts WHERE id = '${ID[a2]}'
     UNION ALL SELECT received_at + interval '40 s', 'chat:U002', 'comment_added', id, employee_id, '{\"event_id\": \"ev-words\"}' FROM alerts WHERE id = '${ID[a2]}'
     UNION ALL SELECT received_at + interval '45 s', 'chat:U003', 'answer_refused_not_owner', id, employee_id, '{\"event_id\": \"ev-other\"}' FROM alerts WHERE id = '${ID[a2]}'"
sql "INSERT INTO escalations (alert_id, reason, priority, comment, raised_at)
     SELECT id, 'denied', 'high', comment, received_at + interval '36 s' FROM alerts WHERE id = '${ID[a2]}'"
# a recognisable second-factor secret that must never be printed
sql "UPDATE employees SET totp_secret_enc = decode(repeat('5ec2e7', 20), 'hex') WHERE username = 'bob'"

# ---- alerts list ----
check "$(run alerts list --format json):$(json_ok)" "0:valid" "alerts list --format json"
check "$(py 'len(d)')" 8 "alerts listed"
check "$(py 'sorted(a["id"] for a in d) == sorted(set(a["id"] for a in d))')" True "each alert once"
check "$(py '[a for a in d if a["rule"] == "vpn"][0]["title"]')" $'VPN \e[31mred' "JSON keeps the title exactly"
check "$(py '[a for a in d if a["rule"] == "vpn"][0]["employee"]')" None "an unknown user has no employee"
check "$(run alerts list):$(grep -c $'\e' "$OUT")" "0:0" "text output carries no terminal escape"
check "$(grep -c "^${ID[c1]:0:16} .* ?ghost " "$OUT"):$(($(wc -l <"$OUT") - 1))" "1:8" "text: one line per alert, unknown user marked"
run alerts list --employee ALI --format json >/dev/null
check "$(py 'sorted(a["title"] for a in d)')" "['Download b1', 'SSH a1']" "--employee by alias, any case"
run alerts list --employee ghost --format json >/dev/null
check "$(py 'len(d)')" 1 "--employee: a name not in the directory"
run alerts list --status prompted --format json >/dev/null
check "$(py '[a["id"] for a in d]')" "['${ID[b2]}']" "--status prompted"
run alerts list --outcome open --format json >/dev/null
check "$(py 'sorted(a["title"] for a in d)')" "['Download b2', 'Download b3']" "--outcome open"
check "$(run alerts list --limit 3 --format json):$(py 'len(d)'):$(grep -c 'more alerts match' "$ERR")" "0:3:1" "--limit 3 says more match"
run alerts list --since "$(date -u -d '+1 minute' +%Y-%m-%dT%H:%M:%SZ)" --format json >/dev/null
check "$(py 'len(d)')" 0 "--since in the future"

# ---- alerts show: fields, conversation, audit trail, escalation; no secret ----
check "$(run alerts show "${ID[a2]:0:8}" --format json):$(json_ok)" "0:valid" "alerts show PREFIX --format json"
check "$(py 'd["alert"]["id"]')" "${ID[a2]}" "the alert found by an 8-character prefix"
check "$(py '(d["alert"]["employee"], d["alert"]["status"], d["alert"]["outcome"], d["alert"]["answer"], d["alert"]["comment"], d["alert"]["second_factor"])')" \
	"('bob', 'escalated', 'denied', 'deny', 'I was at lunch, \"really\"', 'not_attempted')" "the alert's state"
check "$(py '[(c["event_id"], c["kind"], c["chat_user_id"]) for c in d["conversation"]]')" \
	"[('ev-deny', 'deny', 'U002'), ('ev-words', 'text', 'U002'), ('ev-other', 'confirm', 'U003')]" "the conversation, in order"
check "$(py '[(a["actor"], a["action"]) for a in d["audit"]]')" \
	"[('sb-prompt', 'prompt_sent'), ('chat:U002', 'deny'), ('chat:U002', 'comment_added'), ('chat:U003', 'answer_refused_not_owner')]" "the audit trail, in order"
check "$(py 'd["audit"][0]["detail"]["channel"]')" "D002" "audit details as JSON"
check "$(py '(d["escalation"]["reason"], d["escalation"]["priority"], d["escalation"]["raised_at"].endswith("Z"))')" \
	"('denied', 'high', True)" "the escalation"
check "$(py 'd["alert"]["raw"]["title"]')" "SSH a2" "the raw alert"
check "$(grep -ci -e 5ec2e7 -e XsLnXsLn -e totp "$OUT")" 0 "no second-factor secret in JSON"
check "$(run alerts show "${ID[a2]}")" 0 "alerts show ID"
check "$(grep -c -e '^Conversation (3)$' -e '^Audit trail (4)$' -e '^  comment: *I was at lunch, "really"$' -e '^  reason: *denied$' "$OUT")" 5 "text sections (the comment twice: the alert's and the escalation's)"
check "$(grep -ci -e 5ec2e7 -e totp "$OUT")" 0 "no second-factor secret in text"
run alerts show "${ID[b3]}" --format json >/dev/null
check "$(py '(d["conversation"], d["audit"], d["escalation"], d["alert"]["prompted_at"])')" "([], [], None, None)" "an alert nobody touched yet"
check "$(run alerts show deadbeef00)" 1 "an unknown alert exits 1"
# two alerts sharing a prefix (received long ago, outside every window below)
sql "INSERT INTO alerts (id, source, rule, title, username, severity, occurred_at, raw, status, src_topic, src_partition, src_offset, received_at)
     SELECT 'abcdef01' || repeat(x, 56), 's', 'old', 'old', 'nobody', 'low', '2020-01-01Z', '{}', 'expired', 't', 0, 0, '2020-01-01Z'
     FROM unnest(ARRAY['0', '1']) AS x"
check "$(run alerts show abcdef01):$(grep -c ambiguous "$ERR")" "1:1" "an ambiguous prefix exits 1"
check "$(run alerts show ABCDEF011)" 0 "a longer prefix, any case, decides"

# ---- report: numbers against what was created ----
check "$(run report --since "$t0" --format json):$(json_ok)" "0:valid" "report --format json"
check "$(py '[d["total"][k] for k in ("alerts", "prompted", "answered", "response_rate", "median_answer_seconds")]')" \
	"[8, 6, 4, 0.6667, 25]" "totals: alerts, prompted, answered, rate, median"
check "$(py '[(r["rule"], r["alerts"], r["prompted"], r["answered"], r["response_rate"], r["median_answer_seconds"]) for r in d["by_rule"]]')" \
	"[('ssh-login', 4, 4, 3, 0.75, 30), ('big-download', 3, 2, 1, 0.5, 20), ('vpn', 1, 0, 0, None, None)]" "per rule"
check "$(py 'sorted(d["by_rule"][0]["outcomes"].items())')" \
	"[('confirmed', 1), ('denied', 1), ('no_response', 1), ('second_factor_failed', 1)]" "ssh-login's outcomes"
check "$(py 'sorted(d["by_rule"][1]["outcomes"].items())')" "[('confirmed_unverified', 1), ('open', 2)]" "big-download's outcomes (open: undecided)"
check "$(py 'sorted((o["outcome"], o["alerts"]) for o in d["by_outcome"])')" \
	"[('confirmed', 1), ('confirmed_unverified', 1), ('denied', 1), ('no_response', 1), ('open', 2), ('second_factor_failed', 1), ('unknown_employee', 1)]" "per outcome"
check "$(py '[(f["id"], f["outcome"], f["employee"], f["comment"]) for f in sorted(d["flagged"], key=lambda f: f["title"])]')" \
	"[('${ID[a2]}', 'denied', 'bob', 'I was at lunch, \"really\"'), ('${ID[a3]}', 'second_factor_failed', 'carol', None), ('${ID[a4]}', 'no_response', 'erin', None)]" \
	"every denied, unanswered or failed alert, with the comment"
check "$(run report --since 1h):$(grep -c '^8 alert(s), 6 prompted, 4 answered; response rate 66.7%; median time to answer 25s$' "$OUT")" "0:1" "text summary line"
check "$(grep -c -e '^  ssh-login  .* 4 *4 *3 *75.0% *30s  ' -e '^Denied, unanswered or failed second factor: 3$' -e '^    comment: "I was at lunch, "really""$' "$OUT")" 3 "text: rule line, flagged alerts, comment"
check "$(run report --since "$t0" --format csv)" 0 "report --format csv"
python3 "$SB_SOURCE_DIR/tests/integration/lib/report_csv_check.py" "$OUT" >"$T_DIR/csv.check"
check "$(sed -n 1p "$T_DIR/csv.check")" "8 6 4 0.6667 25.000" "CSV totals"
check "$(sed -n 2p "$T_DIR/csv.check")" "[('big-download', '3'), ('ssh-login', '4'), ('vpn', '1')]" "CSV rules"
check "$(sed -n 3p "$T_DIR/csv.check")" "['', '', 'I was at lunch, \"really\"']" "CSV comments, quoted"
run report --since 2019-12-31T00:00:00Z --until "$t0" --format json >/dev/null
check "$(py '(d["total"]["alerts"], d["by_rule"][0]["rule"], d["total"]["response_rate"])')" "(2, 'old', None)" "--until: an earlier window"

# ---- opt-out: sb-ingest escalates the employee's new alerts (opted_out) ----
check "$(run employees optout D.OPS --reason 'on leave'):$(cat "$OUT")" \
	"0:dave opted out: their new alerts are escalated without asking them" "employees optout by alias"
check "$(run employees optout dave):$(cat "$OUT")" "0:dave was already opted out" "optout twice changes nothing"
check "$(sql "SELECT actor || ' ' || action || ' ' || (detail->>'reason') FROM audit_log WHERE action LIKE 'employee_opted%'")" \
	"sbctl employee_opted_out on leave" "optout audited once"
run employees list --format json >/dev/null
check "$(py '[e["username"] for e in d if e["opted_out"]]')" "['dave']" "employees list shows it"
d1=$(ctl alert send --user dave --rule ssh-login --title "while out" --severity low)
wait_ingested 12 60
check "$(sql "SELECT status || '/' || status_reason FROM alerts WHERE id = '$d1'")" "escalation_requested/opted_out" "an opted-out employee's alert"
check "$(topic_dump escalation-requests | grep -c "\"alert_id\":\"$d1\".*\"reason\":\"opted_out\"")" 1 "its escalation request"
check "$(run employees optin dave):$(sql "SELECT opted_out FROM employees WHERE username = 'dave'")" "0:f" "employees optin"
check "$(run employees optout nobody-here)" 1 "optout of an unknown employee exits 1"
d2=$(ctl alert send --user dave --rule ssh-login --title "back" --severity low)
wait_ingested 13 60
check "$(sql "SELECT status FROM alerts WHERE id = '$d2'")" "queued" "after optin: asked again"
check "$(sql "SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE action LIKE 'employee_opted%'")" \
	"employee_opted_out,employee_opted_in" "optin audited"

# ---- ignore rules: sb-ingest suppresses while they last ----
check "$(run ignore add ERIN noisy --for 2h --reason travel)" 0 "ignore add"
rule_id=$(sed -n 's/^ignore rule \([0-9]*\): noisy for erin until .*/\1/p' "$OUT")
check "$(run ignore add carol '*' --for 90m)" 0 "ignore add '*'"
check "$(run ignore add nobody-here noisy --for 1h)" 1 "ignore add for an unknown employee exits 1"
check "$(run ignore list --format json):$(json_ok)" "0:valid" "ignore list --format json"
check "$(py 'sorted((r["employee"], r["rule"], r["reason"], r["created_by"].startswith("sbctl:"), r["active"]) for r in d)')" \
	"[('carol', '*', None, True, True), ('erin', 'noisy', 'travel', True, True)]" "the rules listed"
check "$(py '[r["id"] for r in d if r["rule"] == "noisy"][0]')" "$rule_id" "the id add printed"
check "$(sql "SELECT round(extract(epoch FROM until - created_at) / 60) FROM ignore_rules WHERE id = $rule_id")" 120 "until = now + 2h"
e1=$(ctl alert send --user erin --rule noisy --title "noisy 1" --severity low)
e2=$(ctl alert send --user erin --rule other --title "other 1" --severity low)
c2=$(ctl alert send --user carol --rule anything --title "carol any" --severity low)
wait_ingested 16 60
check "$(sql "SELECT string_agg(status || '/' || coalesce(status_reason, '-'), ' ' ORDER BY title) FROM alerts WHERE id IN ('$e1', '$e2', '$c2')")" \
	"suppressed/ignore_rule suppressed/ignore_rule queued/-" "suppressed: erin's noisy and all of carol's; not erin's other"
check "$(run ignore remove "$rule_id"):$(cat "$OUT")" "0:removed ignore rule $rule_id: noisy for erin" "ignore remove"
check "$(run ignore remove "$rule_id")" 1 "removing it again exits 1"
e3=$(ctl alert send --user erin --rule noisy --title "noisy 2" --severity low)
wait_ingested 17 60
check "$(sql "SELECT status FROM alerts WHERE id = '$e3'")" "queued" "after remove: asked again"
check "$(sql "SELECT string_agg(action || ':' || (detail->>'rule'), ',' ORDER BY id) FROM audit_log WHERE action LIKE 'ignore_rule%'")" \
	"ignore_rule_added:noisy,ignore_rule_added:*,ignore_rule_removed:noisy" "ignore changes audited"
check "$(run ignore list):$(grep -c '^[0-9]' "$OUT")" "0:1" "ignore list (text): one active rule left"
sql "UPDATE ignore_rules SET until = now() - interval '1 s'"
check "$(run ignore list --all --format json):$(py '[r["active"] for r in d]')" "0:[False]" "--all shows expired rules"

# ---- dead letters: list ----
# one refused by an older validator: its bytes are a valid alert today
sql "INSERT INTO dead_letters (src_topic, src_partition, src_offset, reason, detail, original, msg_key, rejected_by, rejected_at)
     VALUES ('${SECURITYBOT_TOPIC_PREFIX}alerts', 0, 1000000, 'invalid_value', 'refused by an older validator',
       convert_to('{\"source\":\"legacy\",\"rule\":\"replayed\",\"title\":\"fixed by replay\",\"user\":\"alice\",\"occurred_at\":\"2026-11-29T10:00:00Z\"}', 'UTF8'),
       'k-fix', 'sb-ingest', now() - interval '3 hours')"
check "$(run dlq list --format json):$(json_ok)" "0:valid" "dlq list --format json"
check "$(py 'sorted((l["key"], l["reason"], l["size"], l["replayed_at"]) for l in d)')" \
	"[('k-bin', 'invalid_utf8', 89, None), ('k-fix', 'invalid_value', 115, None), ('k-json', 'invalid_json', 15, None), ('k-miss', 'missing_field', 52, None)]" \
	"dead letters: key, reason, size"
check "$(py '[l["original"] for l in d if l["key"] == "k-json"][0]')" "not json at all" "the original as text"
check "$(py '[(l.get("original_encoding"), __import__("base64").b64decode(l["original"])[:36]) for l in d if l["key"] == "k-bin"][0]')" \
	"('base64', b'{\"source\":\"x\",\"rule\":\"r\",\"title\":\"\\xff\"')" "a non-UTF-8 original as base64"
check "$(run dlq list --since 1h --format json):$(py 'len(d)')" "0:3" "dlq list --since 1h"
check "$(run dlq list --reason missing_field):$(grep -c 'missing_field' "$OUT"):$(grep -c '{"source"' "$OUT")" "0:1:0" "dlq list --reason, text without the original"

# ---- dead letters: replay ----
stop_worker "$INGEST_PID"
topic_dump alerts >"$T_DIR/before.txt"
check "$(run dlq replay --dry-run):$(tail -1 "$OUT")" \
	"0:would replay 4 dead letter(s) to ${SECURITYBOT_TOPIC_PREFIX}alerts (dry run: nothing changed)" "dry run"
check "$(topic_dump alerts | wc -l):$(sql 'SELECT count(*) FROM dead_letters WHERE replayed_at IS NOT NULL')" \
	"$(wc -l <"$T_DIR/before.txt"):0" "the dry run published and marked nothing"
check "$(run dlq replay --reason invalid_json --dry-run):$(tail -1 "$OUT" | cut -d' ' -f1-3)" "0:would replay 1" "dry run with --reason"
check "$(SECURITYBOT_KAFKA_BROKERS=127.0.0.1:1 run dlq replay --reason invalid_json):$(sql 'SELECT count(*) FROM dead_letters WHERE replayed_at IS NOT NULL')" \
	"3:0" "no broker: exit 3, nothing marked"
check "$(run dlq replay):$(tail -1 "$OUT")" "0:replayed 4 dead letter(s) to ${SECURITYBOT_TOPIC_PREFIX}alerts" "replay"
topic_dump alerts >"$T_DIR/after.txt"
sql "SELECT encode(coalesce(msg_key, ''), 'hex') || ' ' || encode(original, 'hex') FROM dead_letters ORDER BY 1" >"$T_DIR/originals.txt"
python3 "$SB_SOURCE_DIR/tests/integration/lib/dlq_replay_check.py" "$T_DIR/before.txt" "$T_DIR/after.txt" "$T_DIR/originals.txt" >"$T_DIR/replay.check"
check "$(cat "$T_DIR/replay.check")" "4 True" "the originals and keys republished byte for byte"
check "$(sql 'SELECT count(*) FROM dead_letters WHERE replayed_at IS NOT NULL'):$(sql "SELECT count(*) FROM audit_log WHERE action = 'dead_letter_replayed'")" \
	"4:4" "marked replayed and audited"
check "$(run dlq replay):$(tail -1 "$OUT" | cut -d' ' -f1-2):$(topic_dump alerts | wc -l)" "0:replayed 0:$(wc -l <"$T_DIR/after.txt")" "not replayed twice"
check "$(run dlq replay --again --dry-run):$(tail -1 "$OUT" | cut -d' ' -f1-3)" "0:would replay 4" "--again would replay them"
check "$(run dlq list):$(grep -c ' - ' "$OUT")" "0:0" "dlq list shows when each was replayed"
start_ingest
wait_ingested 21 60
check "$(sql "SELECT source || ' ' || status FROM alerts WHERE title = 'fixed by replay'")" "legacy queued" "the fixed letter is an alert now"
check "$(sql "SELECT string_agg(reason || ':' || encode(msg_key, 'escape'), ',' ORDER BY reason) FROM dead_letters WHERE replayed_at IS NULL")" \
	"invalid_json:k-json,invalid_utf8:k-bin,missing_field:k-miss" "the others dead-lettered again"
stop_worker "$INGEST_PID"
finish
