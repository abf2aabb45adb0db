#!/usr/bin/env bash
# sb-console's API on the real stack: the alerts list with every filter,
# newest first, cursor paging without gaps or repeats, hostile query
# values; an alert with its audit timeline; the escalations queue (open
# first, by severity, then age); resolve with a verdict: one resolution.v1
# message on securitybot.resolutions keyed by the alert id, a second
# resolve 409 and no second message, bad verdicts 422; the rules
# statistics; employees, ignore rules, dead letters, an alert by hand;
# docs/console-openapi.json valid by a real OpenAPI validator and naming
# exactly the routes the code serves.
. "$(dirname "$0")/lib/common.sh"
. "$SB_SOURCE_DIR/tests/integration/lib/console.sh"

# ---- the OpenAPI description ----
modules=$(console_npm)
spec=$SB_SOURCE_DIR/docs/console-openapi.json
rc=0
NODE_PATH=$modules node "$SB_SOURCE_DIR/tests/browser/openapi-check.js" "$spec" >"$T_DIR/ops" 2>"$T_DIR/ops.err" || rc=$?
check "$rc" 0 "docs/console-openapi.json is valid OpenAPI 3.1"
sed 's/{[a-z_]*}/{}/g' "$T_DIR/ops" | sort >"$T_DIR/ops.doc"
grep -o '{"\(GET\|POST\|DELETE\)", "/api/v1/[^"]*"' "$SB_SOURCE_DIR/workers/console/api.c" |
	sed 's/{"\([A-Z]*\)", "\([^"]*\)"/\1 \2/' | sort >"$T_DIR/ops.code"
check "$(wc -l <"$T_DIR/ops.code")" 20 "the routes in the code"
check "$(diff "$T_DIR/ops.doc" "$T_DIR/ops.code" && echo same)" same "the description names exactly the routes served"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["paths"]["/api/v1/rules"]["get"]["responses"]; d["info"].pop("title"); json.dump(d, open(sys.argv[2], "w"))' \
	"$spec" "$T_DIR/broken.json"
rc=0
NODE_PATH=$modules node "$SB_SOURCE_DIR/tests/browser/openapi-check.js" "$T_DIR/broken.json" >/dev/null 2>&1 || rc=$?
check "$rc" 1 "the validator refuses a broken description"

setup_env 1
import_people alice:U001 bob:U002
start_console "$T_DIR/console.log"
A=$CONSOLE_URL
TOK=$(console_token ci responder)
VTOK=$(console_token view viewer)
get() { req GET "$A$1" -H "Authorization: Bearer $TOK"; }
post() { req POST "$A$1" -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' --data-binary "$2"; }
hex() { printf "$1%.0s" {1..64}; }

# ---- 30 alerts: 3 rules, 2 users, ages 1..30 minutes ----
for i in $(seq 1 30); do
	id=$(printf '%064x' "$i")
	case $((i % 3)) in 0) rule=ssh-login ;; 1) rule=big-download ;; *) rule=vpn ;; esac
	user=alice
	((i % 2)) || user=bob
	sev=low
	((i % 5)) || sev=critical
	outcome=confirmed
	((i % 4)) || outcome=denied
	alert_row "$id" "$rule" "$sev" decided "$outcome" "$user" "$i minutes" "Alert number $i"
done
check "$(get /api/v1/alerts)" 200 "the list"
check "$(body_json 'len(d["alerts"])'):$(body_json 'd["alerts"][0]["title"]'):$(body_json 'd["next_cursor"]')" \
	"30:Alert number 1:None" "all of them, newest first, one page"
check "$(body_json 'sorted(d["alerts"][0].keys())')" \
	"['detector_id', 'employee', 'id', 'occurred_at', 'outcome', 'received_at', 'rule', 'severity', 'source', 'status', 'title']" "a row's fields"
check "$(get '/api/v1/alerts?rule=vpn')$(body_json 'len(d["alerts"])')" 20010 "by rule"
check "$(get '/api/v1/alerts?employee=BOB')$(body_json 'len(d["alerts"])')" 20015 "by employee (any case)"
check "$(get '/api/v1/alerts?severity=critical&employee=alice')$(body_json 'len(d["alerts"])')" 2003 "by severity and employee"
check "$(get '/api/v1/alerts?outcome=denied')$(body_json 'len(d["alerts"])')" 2007 "by outcome"
check "$(get '/api/v1/alerts?status=decided&source=test')$(body_json 'len(d["alerts"])')" 20030 "by status and source"
check "$(get '/api/v1/alerts?q=NUMBER%202')$(body_json 'sorted(a["title"] for a in d["alerts"])')" \
	"200['Alert number 2', 'Alert number 20', 'Alert number 21', 'Alert number 22', 'Alert number 23', 'Alert number 24', 'Alert number 25', 'Alert number 26', 'Alert number 27', 'Alert number 28', 'Alert number 29']" "by text in the title"
# [received_at of alert 10, received_at of alert 5): 10 to 6, whatever the clock did since
ts_of() { sql "SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') FROM alerts WHERE title = 'Alert number $1'"; }
since=$(ts_of 10)
until=$(ts_of 5)
check "$(get "/api/v1/alerts?since=$since&until=$until")$(body_json '[a["title"] for a in d["alerts"]]')" \
	"200['Alert number 6', 'Alert number 7', 'Alert number 8', 'Alert number 9', 'Alert number 10']" "by time range"
# page_through QUERY: GET /api/v1/alerts?QUERY 7 at a time, following
# next_cursor (10 pages at most); sets pages and seen (each title's number)
page_through() {
	local code cursor=""
	seen="" pages=0
	while :; do
		code=$(get "/api/v1/alerts?$1limit=7${cursor:+&cursor=$cursor}")
		[[ $code == 200 ]] || break
		pages=$((pages + 1))
		seen+="$(body_json '" ".join(a["title"].split()[-1] for a in d["alerts"])') "
		cursor=$(body_json 'd["next_cursor"] or ""')
		[[ -n $cursor && $pages -lt 10 ]] || break
	done
}
# paging: 7 at a time, 5 pages, every alert once
page_through ""
check "$pages:$(echo "$seen" | wc -w):$(tr ' ' '\n' <<<"$seen" | sort -un | grep -c .)" "5:30:30" "cursor paging: 5 pages, 30 alerts, none twice"
# the same with a title term: each full page comes from the probe of the
# newest alerts, the short last one from the title search's tables
page_through "q=number&"
check "$pages:$(echo "$seen" | wc -w):$(tr ' ' '\n' <<<"$seen" | sort -un | grep -c .):$(awk '{print $1 $NF}' <<<"$seen")" \
	"5:30:30:130" "title term, paged: 5 pages, 30 alerts newest first, none twice"
for q in "limit=0" "limit=501" "limit=99999999999999999999" "limit=-1" "limit=abc" "severity=urgent" \
	"since=yesterday" "until=2026-13-01T00:00:00Z" "cursor=abc" "cursor=1.$(hex G)" "rule=a&rule=b" \
	"bogus=1" "q=" "rule=$(printf 'r%.0s' {1..201})"; do
	check "$(get "/api/v1/alerts?$q")" 400 "refused: $q"
	check "$(body_json 'd["error"]')" bad_request "as JSON: $q"
done
for q in "rule=x'%20OR%201=1--" "q=%25" "q=_" "employee=alice'--" "q=%5C"; do
	check "$(get "/api/v1/alerts?$q")$(body_json 'len(d["alerts"])')" 2000 "SQL text is only text: $q"
done

# ---- one alert and its timeline ----
id1=$(printf '%064x' 1)
sql "INSERT INTO audit_log (actor, action, alert_id, detail) VALUES
     ('sb-prompt', 'prompted', '$id1', '{\"channel\": \"D1\"}'), ('sb-response', 'answered', '$id1', NULL)"
check "$(get "/api/v1/alerts/$id1")" 200 "an alert"
check "$(body_json '[t["action"] for t in d["timeline"]]')" "['prompted', 'answered']" "its timeline, in order"
check "$(body_json 'd["alert"]["raw"]["title"] + "/" + d["alert"]["employee"]')" "raw/alice" "as received, and the employee"
check "$(get "/api/v1/alerts/$(hex a)")" 404 "an unknown alert"
check "$(get "/api/v1/alerts/..%2f..%2fetc")" 404 "not an alert id"

# ---- escalations: the queue, acknowledge, resolve ----
e_low=$(hex 1)
e_crit_new=$(hex 2)
e_crit_old=$(hex 3)
alert_row "$e_low" vpn low escalated denied bob '1 minute' 'Low one'
alert_row "$e_crit_new" vpn critical escalated denied bob '2 minutes' 'Critical new'
alert_row "$e_crit_old" ssh-login critical escalated denied alice '3 minutes' 'Critical old'
sql "INSERT INTO escalations (alert_id, reason, raised_at) VALUES ('$e_low', 'denied', now() - interval '1 minute'),
     ('$e_crit_new', 'denied', now() - interval '2 minutes'), ('$e_crit_old', 'no_response', now() - interval '3 minutes')"
check "$(get /api/v1/escalations)$(body_json '[e["title"] for e in d["escalations"]]')" \
	"200['Critical old', 'Critical new', 'Low one']" "the queue: most severe, then oldest"
check "$(post "/api/v1/escalations/$e_crit_old/acknowledge" '')" 200 "acknowledged"
check "$(post "/api/v1/escalations/$e_crit_old/resolve" '{"verdict":"maybe"}')" 422 "an unknown verdict"
check "$(post "/api/v1/escalations/$e_crit_old/resolve" '{"note":"x"}')" 400 "no verdict"
check "$(post "/api/v1/escalations/$e_crit_old/resolve" 'verdict=benign')" 400 "not JSON"
check "$(req POST "$A/api/v1/escalations/$e_crit_old/resolve" -H "Authorization: Bearer $VTOK" \
	-H 'Content-Type: application/json' --data-binary '{"verdict":"benign"}')" 403 "a viewer may not resolve"
check "$(post "/api/v1/escalations/$e_crit_old/resolve" '{"verdict":"true_positive","note":"creds rotated <b>now</b>"}')" 200 "resolved"
check "$(body_json 'd["schema"] + "/" + d["verdict"] + "/" + d["resolved_by"] + "/" + d["acknowledged_by"]')" \
	"resolution.v1/true_positive/console-token:ci/console-token:ci" "the resolution"
check "$(post "/api/v1/escalations/$e_crit_old/resolve" '{"verdict":"benign"}')" 409 "resolving twice: a conflict"
check "$(post "/api/v1/escalations/$e_crit_old/acknowledge" '')" 409 "acknowledging a resolved one: a conflict"
check "$(post "/api/v1/escalations/$(hex c)/resolve" '{"verdict":"benign"}')" 404 "no such escalation"
check "$(post "/api/v1/escalations/$e_low/resolve" '{"verdict":"benign","note":null}')" 200 "resolved without a note or acknowledgement"
topic_dump resolutions >"$T_DIR/resolutions"
check "$(wc -l <"$T_DIR/resolutions")" 2 "two resolutions on the topic, one each"
check "$(cut -f1 "$T_DIR/resolutions" | sort | tr '\n' ' ')" "$e_low $e_crit_old " "keyed by alert id"
cut -f4 "$T_DIR/resolutions" | head -n 1 >"$T_DIR/body"
check "$(body_json 'd["alert_id"] + "/" + d["note"] + "/" + d["rule"] + "/" + d["severity"]')" \
	"$e_crit_old/creds rotated <b>now</b>/ssh-login/critical" "the message"
while IFS=$'\t' read -r _ _ _ value; do
	printf '%s' "$value" >"$T_DIR/msg.json"
	check "$(python3 - "$T_DIR/msg.json" <<-'PY'
		import json, sys
		m = json.load(open(sys.argv[1]))
		need = ["schema", "message_id", "alert_id", "verdict", "note", "resolved_by", "resolved_at", "acknowledged_by", "rule", "severity"]
		print("ok" if all(k in m for k in need) and len(m["message_id"]) == 64 else "bad")
	PY
	)" ok "a resolution.v1 message"
done <"$T_DIR/resolutions"
check "$(sql "SELECT verdict || '/' || resolved_by FROM escalations WHERE alert_id = '$e_crit_old'")" \
	"true_positive/console-token:ci" "recorded"
check "$(sql "SELECT count(*) FROM audit_log WHERE action = 'escalation_resolved' AND actor = 'console-token:ci'")" 2 "audited"
# the resolutions in `sbctl report`, with links to the console's pages
SECURITYBOT_CONSOLE_URL=https://console.example.com/sb/ "$SB_BIN_DIR/sbctl" report --since 1h --format json \
	>"$T_DIR/report.json" 2>"$T_DIR/report.err"
check "$(python3 - "$T_DIR/report.json" "$e_crit_old" "$e_crit_new" <<-'PY'
	import json, sys
	d = json.load(open(sys.argv[1]))
	e = d["escalations"]
	f = {a["id"]: a for a in d["flagged"]}
	old, new = f[sys.argv[2]], f[sys.argv[3]]
	print(e["raised"], e["open"], e["resolved"], sorted(e["verdicts"].items()),
	      old["verdict"], old["resolved_by"], old["resolution_note"], old["console_url"] == "https://console.example.com/sb/#/alert/" + sys.argv[2],
	      new["verdict"], new["acknowledged_by"])
	PY
)" "3 1 2 [('benign', 1), ('true_positive', 1)] true_positive console-token:ci creds rotated <b>now</b> True None None" \
	"sbctl report: the escalations' states, verdicts, who resolved, the note, the console link"
# the alert's page and `sbctl alerts show` say the same, in the same form
"$SB_BIN_DIR/sbctl" alerts show "$e_crit_old" --format json >"$T_DIR/show.json"
check "$(get "/api/v1/alerts/$e_crit_old")" 200 "the resolved alert"
check "$(python3 - "$T_DIR/body" "$T_DIR/show.json" <<-'PY'
	import json, sys
	api, cli = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
	keys = ["received_at", "occurred_at", "status", "outcome", "title", "employee", "group_id"]
	esc = ["acknowledged_by", "acknowledged_at", "verdict", "resolved_by", "resolved_at", "resolution_note", "raised_at"]
	diff = [k for k in keys if api["alert"][k] != cli["alert"][k]] + [k for k in esc if api["escalation"][k] != cli["escalation"][k]]
	diff += [t["at"] for t, a in zip(api["timeline"], cli["audit"]) if t["at"] != a["at"] or t["action"] != a["action"]]
	print(len(api["timeline"]) == len(cli["audit"]), api["escalation"]["resolved_at"].endswith("Z"), diff)
	PY
)" "True True []" "the API's alert and sbctl alerts show agree: fields, escalation, timeline, times in one form"
"$SB_BIN_DIR/sbctl" report --since 1h >"$T_DIR/report.txt" 2>&1
check "$(grep -c -e '^Escalations of these alerts: 3 (' -e '^    resolved: true_positive by console-token:ci at .*: "creds rotated <b>now</b>"$' "$T_DIR/report.txt"):$(grep -c 'console: ' "$T_DIR/report.txt")" \
	"2:0" "sbctl report in text: the resolution; no link without SECURITYBOT_CONSOLE_URL"
check "$(get '/api/v1/escalations?state=open')$(body_json '[e["title"] for e in d["escalations"]]')" \
	"200['Critical new']" "open ones"
check "$(get '/api/v1/escalations?state=nope')" 400 "a bad state"

# ---- rules ----
check "$(get /api/v1/rules)" 200 "rules"
check "$(body_json '[(r["rule"], r["alerts"]) for r in d["rules"]]')" \
	"[('vpn', 12), ('ssh-login', 11), ('big-download', 10)]" "alerts per rule, most first"
check "$(body_json '[r for r in d["rules"] if r["rule"] == "ssh-login"][0]["verdicts"]')" \
	"{'true_positive': 1}" "a rule's verdicts"
check "$(body_json '[r for r in d["rules"] if r["rule"] == "big-download"][0]["median_answer_s"]')" 40 "median time to answer"
check "$(body_json 'sum(x["alerts"] for x in [r for r in d["rules"] if r["rule"] == "vpn"][0]["days"])')" 12 "the daily series"
check "$(get '/api/v1/rules?since=2026-01-01T00:00:00Z&until=2025-01-01T00:00:00Z')" 400 "since after until"
check "$(get '/api/v1/rules?since=2020-01-01T00:00:00Z')" 400 "over a year"
# ---- employees ----
ATOK=$(console_token adm admin)
aget() { req GET "$A$1" -H "Authorization: Bearer $ATOK"; }
apost() { req POST "$A$1" -H "Authorization: Bearer $ATOK"; }
sql "UPDATE employees SET totp_secret_enc = '\\x00112233', totp_last_step = 1 WHERE username = 'alice'"
check "$(get /api/v1/employees)" 200 "the directory"
check "$(body_json '[(e["username"], e["second_factor_enrolled"], e["opted_out"]) for e in d["employees"]]')" \
	"[('alice', True, False), ('bob', False, False)]" "second factor status and opt-out"
check "$(grep -c 'totp\|00112233' "$T_DIR/body")" 0 "never the secret"
check "$(post /api/v1/employees/bob/optout '')" 403 "a responder may not opt an employee out"
check "$(apost /api/v1/employees/BOB/optout)$(body_json 'd["changed"]')" 200True "an admin opts bob out"
check "$(apost /api/v1/employees/bob/optout)$(body_json 'd["changed"]')" 200False "twice: no change"
check "$(sql "SELECT opted_out FROM employees WHERE username = 'bob'")" t "recorded"
check "$(apost /api/v1/employees/bob/optin)$(body_json 'd["changed"]')" 200True "and back in"
check "$(apost /api/v1/employees/alice/reset-second-factor)" 200 "second factor reset"
check "$(sql "SELECT totp_secret_enc IS NULL AND totp_last_step IS NULL FROM employees WHERE username = 'alice'")" t "she must enrol again"
check "$(apost /api/v1/employees/nobody/optout)" 404 "an unknown employee"
check "$(sql "SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE actor = 'console-token:adm'")" \
	"employee_opted_out,employee_opted_in,second_factor_reset" "audited"

# ---- ignore rules ----
check "$(post /api/v1/ignore-rules '{"employee":"alice","rule":"vpn","for":"2h","reason":"travel"}')" 201 "an ignore rule added"
rid=$(body_json 'd["id"]')
check "$(get /api/v1/ignore-rules)$(body_json '[(r["employee"], r["rule"], r["created_by"]) for r in d["ignore_rules"]]')" \
	"200[('alice', 'vpn', 'console-token:ci')]" "listed"
check "$(post /api/v1/ignore-rules '{"employee":"ghost","rule":"vpn","for":"2h"}')" 422 "an unknown employee"
check "$(post /api/v1/ignore-rules '{"employee":"alice","rule":"vpn","for":"31d"}')" 422 "too long"
check "$(post /api/v1/ignore-rules '{"employee":"alice"}')" 400 "malformed"
check "$(req POST "$A/api/v1/ignore-rules" -H "Authorization: Bearer $VTOK" -H 'Content-Type: application/json' \
	--data-binary '{"employee":"alice","rule":"vpn","for":"2h"}')" 403 "a viewer may not add one"
check "$(req DELETE "$A/api/v1/ignore-rules?id=$rid" -H "Authorization: Bearer $TOK")" 200 "removed"
check "$(req DELETE "$A/api/v1/ignore-rules?id=$rid" -H "Authorization: Bearer $TOK")" 404 "removed already"
check "$(req DELETE "$A/api/v1/ignore-rules" -H "Authorization: Bearer $TOK")" 400 "which one?"
check "$(sql "SELECT count(*) FROM audit_log WHERE actor = 'console-token:ci' AND action LIKE 'ignore_rule_%'")" 2 "audited"

# ---- dead letters ----
sql "INSERT INTO dead_letters (src_topic, src_partition, src_offset, reason, detail, original, msg_key, rejected_by)
     VALUES ('${SECURITYBOT_TOPIC_PREFIX}alerts', 0, 7, 'invalid_json', 'not JSON', 'not {json', 'k-dlq', 'sb-ingest')"
check "$(get /api/v1/dead-letters)$(body_json '[(x["id"], x["original"]) for x in d["dead_letters"]]')" \
	"200[('${SECURITYBOT_TOPIC_PREFIX}alerts:0:7', 'not {json')]" "listed with the original"
check "$(post "/api/v1/dead-letters/${SECURITYBOT_TOPIC_PREFIX}alerts:0:7/replay" '')" 200 "replayed"
check "$(post "/api/v1/dead-letters/${SECURITYBOT_TOPIC_PREFIX}alerts:0:7/replay" '')" 409 "not twice"
check "$(post "/api/v1/dead-letters/nope/replay" '')" 404 "not a dead letter id"
check "$(topic_dump alerts | awk -F'\t' '$1 == "k-dlq" {print $4}')" "not {json" "the original bytes, with their key, on alerts"

# ---- an alert by hand ----
check "$(post /api/v1/alerts '{"rule":"manual","title":"Made by hand <b>","user":"alice","severity":"high"}')" 202 "an alert made by hand"
hid=$(body_json 'd["id"]')
check "${#hid}" 64 "its id"
check "$(topic_dump alerts | awk -F'\t' -v k="$hid" '$1 == k {print $4}' >"$T_DIR/body"; body_json 'd["source"] + "/" + d["details"]["created_by"] + "/" + d["title"]')" \
	"console/console-token:ci/Made by hand <b>" "published to alerts as source console, with who made it"
check "$(post /api/v1/alerts '{"rule":"manual","user":"alice"}')" 422 "no title"
check "$(post /api/v1/alerts '[1]')" 400 "not an object"
check "$(req POST "$A/api/v1/alerts" -H "Authorization: Bearer $VTOK" -H 'Content-Type: application/json' \
	--data-binary '{"rule":"m","title":"t","user":"alice"}')" 403 "a viewer may not"
check "$(sql "SELECT count(*) FROM audit_log WHERE action = 'alert_created' AND alert_id = '$hid'")" 1 "audited"

# ---- the text search: the term is plain text, LIKE's wildcards included ----
alert_row "$(hex e)" literal low decided confirmed alice '1 minute' 'Disk C:\ at 100%_full'
alert_row "$(hex f)" literal low decided confirmed alice '1 minute' 'Disk D: at 1000 full'
for q in "100%25_FULL:1" "C:%5C%20at:1" "100%25:1" "%25_:1" "0_f:0" "00%25f:0" "1000:1" "disk:2"; do
	check "$(get "/api/v1/alerts?rule=literal&q=${q%:*}")$(body_json 'len(d["alerts"])')" "200${q##*:}" "text search: ${q%:*}"
done
# Those titles were still queued (no sb-ingest here moves them): the same
# searches once they are all in the indexed search table (migration 0018)
check "$(sql "SELECT count(*) FROM alert_title_queue") $(sql "SELECT alert_titles_index(1000000) > 0") $(sql "SELECT count(*) FROM alert_title_queue")" \
	"$(sql "SELECT count(*) FROM alerts") t 0" "every title queued, then moved"
for q in "100%25_FULL:1" "C:%5C%20at:1" "1000:1" "disk:2"; do
	check "$(get "/api/v1/alerts?rule=literal&q=${q%:*}")$(body_json 'len(d["alerts"])')" "200${q##*:}" "indexed text search: ${q%:*}"
done
check "$(get '/api/v1/alerts?q=NUMBER%202')$(body_json 'sorted(a["title"] for a in d["alerts"])')" \
	"200['Alert number 2', 'Alert number 20', 'Alert number 21', 'Alert number 22', 'Alert number 23', 'Alert number 24', 'Alert number 25', 'Alert number 26', 'Alert number 27', 'Alert number 28', 'Alert number 29']" "indexed: by text in the title"
check "$(grep -c '"level":"error"' "$T_DIR/console.log")" 0 "no error logged"
finish
