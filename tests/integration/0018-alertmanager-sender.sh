#!/usr/bin/env bash
# 0018-alertmanager-sender: a real sender for POST /v1/alerts/alertmanager.
# A private Prometheus Alertmanager (Debian's prometheus-alertmanager, as
# tests/integration/lib/alertmanager.sh starts it), given four alerts of
# one name through its own API (POST /api/v2/alerts): two firing with a
# user label, one firing without, one already resolved. It must deliver
# them grouped in one webhook POST to a local recorder (not sb-gateway:
# this checks the sender and the payload our mapping expects), with the
# bearer token from http_config.authorization, as version 4 JSON with
# every field the mapping reads; and the mapping (workers/gateway/
# alertmanager.c, run by test_sb_alertmanager FILE) must make two alerts,
# one dead letter and one resolved_ignored of that body.
# Needs no Kafka or PostgreSQL. SB_AM_CAPTURE=FILE keeps the delivered body
# (how workers/gateway/tests/corpus/alertmanager/captured-0.25.json was made).
set -euo pipefail

SB_SOURCE_DIR=${SB_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd -P)}
SB_BIN_DIR=${SB_BIN_DIR:-$SB_SOURCE_DIR/build/bin}
SB_SAY_PREFIX='[0018-alertmanager-sender] '
SB_SANDBOX_KEEP=failure
SB_STOP_WAIT=0
# shellcheck source=../lib/sandbox.sh
. "$SB_SOURCE_DIR/tests/lib/sandbox.sh"
# shellcheck source=lib/alertmanager.sh
. "$SB_SOURCE_DIR/tests/integration/lib/alertmanager.sh"
sb_sandbox_init sbtest.0018

MAPPER=$SB_BIN_DIR/../tests/test_sb_alertmanager
TOKEN='sbit_0018-Zm9vYmFy+/=' # characters a token may hold, YAML-quoted by the lib
FAILED=0 CHECKS=0
check() { # check ACTUAL EXPECTED WHAT
	CHECKS=$((CHECKS + 1))
	if [[ $1 == "$2" ]]; then
		sb_say "ok: $3 = $1"
	else
		sb_say "FAIL: $3: got '$1', expected '$2'"
		FAILED=$((FAILED + 1))
	fi
}
# jq-less JSON reading: prints the Python expression over d = JSON in $1.
jget() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

[[ -x $MAPPER ]] || sb_fail "no $MAPPER: build first (cmake --build build)"
REC=$SB_DIR/received.jsonl
: >"$REC"
sb_start_fake recorder "$SB_SOURCE_DIR/tests/integration/lib/webhook_recorder.py" --out "$REC"
am_start "http://127.0.0.1:$SB_FAKE_PORT/v1/alerts/alertmanager" "$TOKEN"
sb_say "alertmanager $("$AM_BIN" --version 2>&1 | head -n 1) on $AM_URL"

# The four sample alerts of one name (one group), posted in one call.
ALERTS=$(am_sample_alerts "$(date -u +%s)")
am_post_alerts "$ALERTS"

# Delivered: the newest POST holding the whole group (group_wait 0s may
# send a first part alone; group_interval sends the rest a second later).
whole() {
	[[ -s $REC ]] && python3 -c 'import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
sys.exit(0 if any(len(json.loads(r["body"]).get("alerts", [])) == 4 for r in recs) else 1)' "$REC"
}
if ! sb_wait_until 30 "$AM_PID" whole; then
	tail -n 20 "$SB_DIR/alertmanager/alertmanager.log" >&2
	sb_fail "alertmanager did not deliver the four alerts in one POST"
fi
python3 -c 'import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rec = [r for r in recs if len(json.loads(r["body"])["alerts"]) == 4][-1]
json.dump(rec, open(sys.argv[2], "w"), ensure_ascii=False)
open(sys.argv[3], "w").write(rec["body"])' "$REC" "$SB_DIR/request.json" "$SB_DIR/body.json"
R=$SB_DIR/request.json B=$SB_DIR/body.json

check "$(jget "$R" 'd["authorization"]')" "Bearer $TOKEN" "Authorization header"
check "$(jget "$R" 'd["path"]')" /v1/alerts/alertmanager "path"
check "$(jget "$R" 'd["content_type"]')" application/json "Content-Type"
check "$(jget "$B" 'd["version"]')" 4 "version"
check "$(jget "$B" 'd["receiver"], d["status"]')" "('securitybot', 'firing')" "receiver, status"
check "$(jget "$B" 'sorted(a["status"] for a in d["alerts"])')" \
	"['firing', 'firing', 'firing', 'resolved']" "alert statuses"
check "$(jget "$B" 'all(set(a) >= {"status", "labels", "annotations", "startsAt", "endsAt",
	"generatorURL", "fingerprint"} for a in d["alerts"])')" True "every alert has the v4 fields"
check "$(jget "$B" 'all(len(a["fingerprint"]) == 16 and int(a["fingerprint"], 16) >= 0
	for a in d["alerts"])')" True "fingerprints are 16 hex digits"
check "$(jget "$B" '[a["labels"].get("user") for a in d["alerts"] if a["labels"]["instance"] == "bastion-2"]')" \
	"['zoë@example.com']" "a non-ASCII label arrives as sent"
check "$(jget "$B" '[a["annotations"].get("summary") for a in d["alerts"] if a["labels"]["instance"] == "bastion-2"]')" \
	"['Überwachung 🚨']" "a non-ASCII annotation arrives as sent"

# The mapping over what Alertmanager really sent.
"$MAPPER" "$B" >"$SB_DIR/mapped.json" || sb_fail "the mapping failed on the delivered body"
M=$SB_DIR/mapped.json
check "$(jget "$M" 'd["accepted"], d["dead_lettered"], d["resolved_ignored"]')" "(2, 1, 1)" \
	"mapped: accepted, dead_lettered, resolved_ignored"
check "$(jget "$M" 'sorted(a["user"] for a in d["alerts"])')" "['alice', 'zoë@example.com']" "mapped users"
check "$(jget "$M" 'sorted(a["severity"] for a in d["alerts"])')" "['critical', 'medium']" "mapped severities"
check "$(jget "$M" 'd["dead"][0]["reason"], d["dead"][0]["detail"]')" \
	"('missing_field', \"label 'user' is missing\")" "the alert without a user is a dead letter"
check "$(python3 -c 'import json, sys
body, mapped = (json.load(open(f)) for f in sys.argv[1:3])
fp = {a["labels"]["instance"]: a["fingerprint"] for a in body["alerts"]}
print(all(a["id"] == fp[a["details"]["instance"]] + "@" + a["occurred_at"]
          and a["occurred_at"].endswith("Z") for a in mapped["alerts"]))' "$B" "$M")" True \
	"id = fingerprint@occurred_at (UTC, microseconds)"

if [[ -n ${SB_AM_CAPTURE:-} ]]; then
	cp "$B" "$SB_AM_CAPTURE"
	sb_say "kept the delivered body in $SB_AM_CAPTURE"
fi
sb_say "$CHECKS checks, $FAILED failed"
((FAILED == 0))
