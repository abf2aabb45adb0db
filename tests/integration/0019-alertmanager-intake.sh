#!/usr/bin/env bash
# 0019-alertmanager-intake: POST /v1/alerts/alertmanager end to end with a
# real sender. A private Prometheus Alertmanager (lib/alertmanager.sh)
# posts the four sample alerts of one group to sb-gateway with a bearer
# token from `sbctl intake-token create`, and sb-ingest runs: the two
# firing alerts with a user label become rows (rule, severity, title,
# source, id as docs/alertmanager.md says), the one without it is on
# <prefix>alerts.dlq with its reason, the resolved one is ignored, and the
# group that Alertmanager keeps re-sending (repeat_interval 1s) doubles
# nothing. Then the HTTP-level answers with curl: 400 (not Alertmanager's
# format, two Authorization headers, 10,001 alerts), 401, 415, 413 past
# the 16 MiB cap, 200 for a body of 10,000 alerts just under it, 404 with
# the intake off.
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/gateway.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/intake.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib/alertmanager.sh"
setup_env

printf '%s\n' "am-test-signing-secret" >"$T_DIR/signing-secret"
export SLACK_SIGNING_SECRET_FILE=$T_DIR/signing-secret
TOKENS=$T_DIR/intake-tokens
TOKEN=$(intake_token prometheus "$TOKENS")
INTAKE_PATH=/v1/alerts/alertmanager

start_ingest
sb_wait_assigned "$T_DIR/ingest.0.log" 60 "$INGEST_PID" || exit 1
start_gateway "$T_DIR/gateway.log" SECURITYBOT_INTAKE_TOKENS_FILE="$TOKENS"
log "sb-gateway on port $GW_PORT"

# --- the real sender: Alertmanager re-sends the whole group every second ---
AM_REPEAT_INTERVAL=1s am_start "http://127.0.0.1:$GW_PORT$INTAKE_PATH" "$TOKEN"
ALERTS=$(am_sample_alerts "$(date -u +%s)")
am_post_alerts "$ALERTS"
sb_wait_sql "SELECT count(*) FROM alerts" 2 60 "$GW_PID" || true
deliveries() { grep -c '"msg":"alertmanager alerts accepted' "$T_DIR/gateway.log" || true; }
delivered() { (($(deliveries) >= $1)); }
# three deliveries at least: the group, then re-sent unchanged
sb_wait_until 30 "$AM_PID" delivered 3 || true
am_alerts >"$T_DIR/am-alerts.json" # the fingerprints, before it stops
sb_stop "$AM_PID" 10 || true
check "$(($(deliveries) >= 3))" 1 "Alertmanager delivered the group three times or more"
check "$(grep -c '"status":"40[0-9]"' "$T_DIR/gateway.log" || true)" 0 "refusals of Alertmanager's requests"

# every message on the alerts topic handled by sb-ingest, then one row each
published=$(topic_dump alerts | wc -l)
check "$((published > 2))" 1 "the re-sent group was published again ($published messages)"
wait_ingested "$published" 60 || true
check "$(sql 'SELECT count(*) FROM alerts')" 2 "rows: one per firing alert with a user, whatever the re-sends"
check "$(sql "SELECT username, rule, severity, title, source FROM alerts ORDER BY username" | tr '\n' ';')" \
	"alice|SecurityTest|critical|SSH login from a new country|prometheus;zoë@example.com|SecurityTest|medium|Überwachung 🚨|prometheus;" \
	"the rows' user, rule, severity, title, source"
check "$(sql "SELECT count(*) FROM alerts WHERE username = 'carol'")" 0 "the resolved alert made no row"
# id = fingerprint@startsAt (UTC, microseconds), the alert id sb-ingest's by-id rule
sql "SELECT username, detector_id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), id
     FROM alerts" >"$T_DIR/rows.txt"
check "$(python3 - "$T_DIR/rows.txt" "$T_DIR/am-alerts.json" "$ALERTS" "$SB_SOURCE_DIR/tests/integration/lib" <<'EOF'
import datetime as dt, json, re, sys
sys.path.insert(0, sys.argv[4])
from gen_alerts import alert_id
fp = {a["labels"]["user"]: a["fingerprint"] for a in json.load(open(sys.argv[2])) if "user" in a["labels"]}
posted = {a["labels"]["user"]: a["startsAt"] for a in json.loads(sys.argv[3]) if "user" in a["labels"]}
def utc_us(s):  # the fraction cut to microseconds, as sb_time_normalize does
    m = re.match(r"(.{19})(\.\d+)?(.*)$", s)
    t = dt.datetime.fromisoformat(m.group(1) + (m.group(2) or ".0")[:7] + m.group(3))
    return t.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
ok = []
for line in open(sys.argv[1]):
    user, det, occ, aid = line.rstrip("\n").split("|")
    want = fp[user] + "@" + utc_us(posted[user])
    ok.append(det == want and occ == utc_us(posted[user]) and aid == alert_id({"source": "prometheus", "id": want}))
print(len(ok), all(ok))
EOF
)" "2 True" "detector id = fingerprint@startsAt, the row id = sb-ingest's alert id of it"

# the alert without a user label: a dead letter (again with every re-send)
topic_dump alerts.dlq | cut -f4 >"$T_DIR/dlq.txt"
check "$(python3 -c 'import json, sys
ds = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(len(ds) >= 1, {(d["reason"], d["detail"], d["topic"], d["intake_source"], json.loads(d["original"])["labels"]["instance"]) for d in ds})' "$T_DIR/dlq.txt")" \
	"True {('missing_field', \"label 'user' is missing\", 'http:/v1/alerts/alertmanager', 'prometheus', 'db-1')}" \
	"the dead letters: reason, detail, origin, source, the item"
check "$(topic_dump alerts | grep -c '"user":"carol"' || true)" 0 "the resolved alert was not published"

# --- HTTP-level answers ---
# the body 0018 captured from Alertmanager 0.25 (other startsAt: new alerts)
cp "$SB_SOURCE_DIR/workers/gateway/tests/corpus/alertmanager/captured-0.25.json" "$T_DIR/body.json"
check "$(post "$TOKEN" application/json "$T_DIR/body.json")" 200 "a captured webhook body posted with curl"
check "$(field 'd')" "{'accepted': 2, 'dead_lettered': 1, 'resolved_ignored': 1}" "the answer's counts"
check "$(post "$TOKEN" 'application/json; charset=utf-8' "$T_DIR/body.json")" 200 "the same body again"
wait_ingested "$(topic_dump alerts | wc -l)" 60 || true
check "$(sql 'SELECT count(*) FROM alerts')" 4 "rows after posting it twice (two more)"
check "$(post "$TOKEN" application/json <(printf '{"receiver":"x","status":"firing"}'))" 400 "an object without alerts"
check "$(field 'd["error"], d["detail"]')" "('bad_request', \"not an Alertmanager webhook: 'alerts' is missing\")" "its JSON error body"
check "$(post "$TOKEN" application/json <(printf '[{"alerts":[]}]'))" 400 "an array, not Alertmanager's object"
check "$(post "$TOKEN" application/json <(printf '{"alerts":[],'))" 400 "not JSON"
check "$(post "" application/json "$T_DIR/body.json")" 401 "no token"
check "$(post "sbi_not-a-real-token" application/json "$T_DIR/body.json")" 401 "an unknown token"
check "$(post "$TOKEN" application/json "$T_DIR/body.json" -H "Authorization: Bearer $TOKEN")" 400 "Authorization twice"
check "$(QUERY="?token=$TOKEN" post "$TOKEN" application/json "$T_DIR/body.json")" 400 "a query string"
check "$(post "$TOKEN" text/plain "$T_DIR/body.json")" 415 "text/plain"
# the cap is the mapping's 16 MiB: 10,000 resolved alerts of 1.6 KiB fit
python3 -c 'import json, sys
n, pad = int(sys.argv[1]), "x" * int(sys.argv[2])
a = {"status": "resolved", "labels": {"alertname": "Big", "user": "u"}, "annotations": {"summary": pad},
     "startsAt": "2026-11-29T12:00:00Z", "endsAt": "2026-11-29T12:05:00Z", "fingerprint": "0123456789abcdef"}
print(json.dumps({"alerts": [a] * n}))' 10000 1400 >"$T_DIR/big.json"
check "$(post "$TOKEN" application/json "$T_DIR/big.json"):$(field 'd["resolved_ignored"]')" 200:10000 \
	"10,000 alerts in $(($(stat -c %s "$T_DIR/big.json") / 1024)) KiB"
python3 -c 'import json; print(json.dumps({"alerts": [{"status": "resolved"}] * 10001}))' >"$T_DIR/many.json"
check "$(post "$TOKEN" application/json "$T_DIR/many.json")" 400 "10,001 alerts"
head -c $((16 * 1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$T_DIR/huge.json"
check "$(post "$TOKEN" application/json "$T_DIR/huge.json")" 413 "16 MiB + 1 byte"
check "$(kill -0 "$GW_PID" 2>/dev/null && echo alive)" alive "sb-gateway after the big bodies"
stop_worker "$GW_PID"

start_gateway "$T_DIR/gateway-off.log"
check "$(post "$TOKEN" application/json "$T_DIR/body.json")" 404 "the intake off"
stop_worker "$GW_PID"

check "$(cat "$T_DIR"/gateway*.log | grep -cF -e "$TOKEN" -e "$(printf '%s' "$TOKEN" | sha256sum | cut -c1-64)" || true)" 0 \
	"log lines holding a token or its hash"
finish
