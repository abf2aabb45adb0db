#!/usr/bin/env bash
# sb-ingest's COPY fast path (issue 17, section 3): a batch of fresh alerts
# (32 or more) is loaded with COPY after one query resolves its employees,
# and whatever else goes through the one recording statement. Checked on the real stack:
# every column equals what the alert's own JSON says, for text that COPY's
# format must escape (tabs, newlines, backslashes, "\N") and for absent
# optional fields; duplicates in a batch keep the first (lowest partition,
# then offset); unknown and opted-out employees are escalated, an ignore
# rule suppresses (the statement's way); a full redelivery is refused by
# COPY and recorded by the statement: no new row, no new message. With
# SECURITYBOT_INGEST_COPY=false the same alerts give the same rows.
. "$(dirname "$0")/lib/common.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }
export SECURITYBOT_LOG_LEVEL=debug

# alerts.py OUT EXPECTED SALT: 300 alerts as JSON lines for alice (by name
# and by e-mail), carol (opted out), an unknown user and bob; the tenth of
# every ten repeats the ninth under its key (same partition: the first
# offset wins), the fifth repeats the fourth under another key (maybe
# another partition: one of them wins). EXPECTED: "user status reason" of
# each distinct alert.
cat >"$T_DIR/alerts.py" <<'PY'
import json, sys
out, expected, salt = sys.argv[1], sys.argv[2], sys.argv[3]
users = ["alice", "ALICE@example.com", "carol", "nobody-" + salt, "bob"]
status = {"alice": "queued -", "ALICE@example.com": "queued -", "carol": "escalation_requested opted_out",
          "nobody-" + salt: "escalation_requested unknown_employee", "bob": "queued -"}
tricky = ["tab\there", "new\nline", "back\\slash \\N \\\\N", "quote \" and ' ", "é ü 中文 🙂",
          "cr\rlf", "\\t not a tab", "trailing\\"]
with open(out, "w") as f, open(expected, "w") as e:
    last = None
    for i in range(300):
        if i % 10 in (4, 9):
            f.write("%s\t%s\n" % (("k-%d" % (i - 1)) if i % 10 == 9 else "other-%d" % i, last))
            continue
        a = {"source": "copy-" + salt, "rule": "rule-%d" % (i % 4),
             "title": "%s %d" % (tricky[i % len(tricky)], i), "user": users[i % len(users)],
             "occurred_at": "2026-12-0%dT1%d:00:00.%03d+0%d:00" % (1 + i % 5, i % 10, i, i % 3)}
        if i % 2:
            a["id"] = "det-%s-%d\t%s" % (salt, i, tricky[i % len(tricky)])
        if i % 3:
            a["description"] = tricky[(i + 1) % len(tricky)] * 3
            a["severity"] = ["low", "medium", "high", "critical"][i % 4]
        if i % 4:
            a["url"] = "https://example.com/a?b=%d&c=\\d" % i
        if i % 5:
            a["details"] = {"k\t%d" % i: tricky[(i + 2) % len(tricky)], "n": i * 1.5, "z": "\\N"}
        last = json.dumps(a, ensure_ascii=i % 2 == 0)
        f.write("k-%d\t%s\n" % (i, last))
        e.write("%s %s\n" % (a["user"].lower().replace("-" + salt, ""), status[a["user"]]))
PY

# The rows as text, every column the recording writes, in id order.
ROWS_SQL="SELECT a.id, a.source, a.rule, a.title, a.username, a.detector_id, a.description,
  a.severity, a.url, a.details, a.occurred_at, a.raw, e.username, a.status, a.status_reason,
  a.outcome, a.decided_at IS NULL FROM alerts a LEFT JOIN employees e ON e.id = a.employee_id
  ORDER BY a.id"
# Columns that differ from what the alert's JSON says (0 when none).
MISMATCH_SQL="SELECT count(*) FROM alerts WHERE NOT (
  source = raw->>'source' AND rule = raw->>'rule' AND title = raw->>'title'
  AND username = raw->>'user' AND detector_id IS NOT DISTINCT FROM raw->>'id'
  AND description IS NOT DISTINCT FROM raw->>'description'
  AND severity = coalesce(raw->>'severity', 'medium') AND url IS NOT DISTINCT FROM raw->>'url'
  AND details IS NOT DISTINCT FROM (raw->'details')::jsonb
  AND occurred_at = (raw->>'occurred_at')::timestamptz)"

# statuses: "user status reason" of every alert, counted, sorted
statuses() {
	sql "SELECT lower(replace(username, '-same', '')), status, coalesce(status_reason, '-') FROM alerts
	  WHERE source = 'copy-same'" | tr '|' ' ' | sort | uniq -c
}

# run_once COPY DB: a fresh database DB and topics; the alerts published
# before sb-ingest starts (so they come in full batches) and recorded; then
# bob's ignored rule and three of his alerts, two of that rule (so that the
# first batches hold no alert the statement must decide)
run_once() {
	sb_sandbox "$2" "t.$2." 3
	sb_groups "" "-$2" ingest
	import_people alice bob carol
	ctl employees optout carol >/dev/null
	python3 "$T_DIR/alerts.py" "$T_DIR/alerts.$1.txt" "$T_DIR/expected.txt" same
	kcat -P -b "$SECURITYBOT_KAFKA_BROKERS" -t "${SECURITYBOT_TOPIC_PREFIX}alerts" -K '\t' \
		-l "$T_DIR/alerts.$1.txt"
	SECURITYBOT_INGEST_COPY=$1 start_ingest
	wait_ingested 300 60
	ctl ignore add bob noisy --for 1h >/dev/null
	for r in noisy:1 noisy:2 calm:3; do
		ctl alert send --user bob --rule "${r%:*}" --title "bob's ${r%:*}" --id "bob-$r" \
			--occurred-at "2026-12-07T00:00:0${r#*:}Z" >/dev/null
	done
	wait_for "SELECT count(*) FROM alerts WHERE username = 'bob' AND source <> 'copy-same'" 3 60
	wait_ingested 303 60
}

# ---- (1) the fast path ----
run_once true "${T_ID}_copy"
log_copy=$T_DIR/ingest.$((${#T_PIDS[@]} - 1)).log
check "$(sql "$MISMATCH_SQL")" 0 "every column equals the alert's own JSON"
check "$(sql "SELECT count(*) FROM alerts WHERE source = 'copy-same'")" 240 "240 alerts: 60 duplicates recorded once"
check "$(statuses)" "$(sort "$T_DIR/expected.txt" | uniq -c)" \
	"queued with an employee, escalated when opted out or unknown"
check "$(sql "SELECT string_agg(concat_ws(' ', rule, status, status_reason, outcome), ', ' ORDER BY detector_id)
  FROM alerts WHERE source <> 'copy-same'")" \
	"calm queued, noisy suppressed ignore_rule suppressed, noisy suppressed ignore_rule suppressed" \
	"bob's ignored rule suppresses (the statement's way), his other rule is asked"
# a duplicate under the same key is the same partition: the first offset's row
topic_dump alerts >"$T_DIR/topic.txt"
sql "SELECT src_partition, src_offset FROM alerts WHERE source = 'copy-same' AND title ~ '[0-9]*8$'" |
	sort >"$T_DIR/rows.txt"
check "$(python3 - "$T_DIR/topic.txt" <<'PY' | diff - "$T_DIR/rows.txt" | grep -c . || true
import json, sys
first = {}
for line in open(sys.argv[1], encoding="utf-8"):
    key, p, o, v = line.rstrip("\n").split("\t", 3)
    if key.startswith("k-") and int(key[2:]) % 10 == 8:
        first.setdefault(key, "%s|%s" % (p, o))
print("\n".join(sorted(first.values())))
PY
)" 0 "a duplicate under the same key keeps its first offset"
check "$(grep -ac '"msg":"lane 0: [0-9]* alert(s) loaded with COPY' "$log_copy" | grep -vc '^0$' || true)" 1 \
	"batches went the COPY way"
queued=$(sql "SELECT count(*) FROM alerts WHERE status = 'queued'")
check "$(topic_dump prompts | wc -l):$(topic_dump escalation-requests | wc -l):$(topic_dump outcomes | wc -l)" \
	"$queued:$(sql "SELECT count(*) FROM alerts WHERE status = 'escalation_requested'"):2" \
	"one downstream message per alert"
sql "$ROWS_SQL" >"$T_DIR/rows.copy.txt"

# ---- (2) a full redelivery: COPY refused, the statement records nothing new ----
before=$(topic_dump prompts | wc -l)
stop_worker "$INGEST_PID"
sql "DELETE FROM ignore_rules" # without it, the re-read batches are all for COPY
SECURITYBOT_INGEST_GROUP=replay-$$ start_ingest
sb_wait_assigned "$T_DIR/ingest.$((${#T_PIDS[@]} - 1)).log" 60 "$INGEST_PID"
# one fresh alert per partition after everything re-read: once all three
# are recorded, every partition's old messages were handled before them
for p in 0 1 2; do
	printf '{"source":"marker","rule":"r","title":"after %s","user":"alice","occurred_at":"2026-12-07T00:00:00Z"}\n' "$p" |
		kcat -P -b "$SECURITYBOT_KAFKA_BROKERS" -t "${SECURITYBOT_TOPIC_PREFIX}alerts" -p "$p"
done
wait_for "SELECT count(*) FROM alerts WHERE source = 'marker'" 3 60
# with nothing left to record, the replica moves every queued title into
# the console's search table (migration 0018), each once
wait_for "SELECT count(*) FROM alert_title_queue" 0 30
check "$(sql "SELECT count(*) || '/' || count(DISTINCT t.alert_id) FROM alert_titles t
              JOIN alerts a ON a.id = t.alert_id AND a.title = t.title")" 246/246 \
	"every alert's title in the search table, once"
# the mover has a connection of its own; broken (as by a server restart),
# it warns, reconnects after its 5 s nap, and moves what came meanwhile
MOVER="FROM pg_stat_activity WHERE application_name = 'sb-ingest-titles' AND datname = current_database()"
# (as sb_ingest: a role may end its own sessions)
check "$(psql -X -q -At "$(sb_url_with_user "$SECURITYBOT_DATABASE_URL" sb_ingest)" \
	-c "SELECT count(pg_terminate_backend(pid)) $MOVER")" 1 "the title mover's own connection, ended"
printf '{"source":"marker","rule":"r","title":"after the break","user":"alice","occurred_at":"2026-12-07T00:00:00Z"}\n' |
	kcat -P -b "$SECURITYBOT_KAFKA_BROKERS" -t "${SECURITYBOT_TOPIC_PREFIX}alerts" -p 0
wait_for "SELECT count(*) FROM alerts WHERE source = 'marker'" 4 60
wait_for "SELECT count(*) FROM alert_titles WHERE title = 'after the break'" 1 30
check "$(sql "SELECT count(*) $MOVER")" 1 "the title mover connected again"
stop_worker "$INGEST_PID"
log_replay=$T_DIR/ingest.$((${#T_PIDS[@]} - 1)).log
check "$(grep -ac '"msg":"title search: queued titles not indexed, retrying in 5 s' "$log_replay" | grep -vc '^0$' || true)" 1 \
	"the mover's failure was a warning"
check "$(sql "SELECT count(*) FROM alerts")" 247 "rows after a full redelivery: only the four markers are new"
check "$(topic_dump prompts | wc -l)" "$((before + 4))" "prompt messages: only the markers'"
check "$(grep -ac '"msg":"lane 0: COPY refused (23505)' "$log_replay" | grep -vc '^0$' || true)" 1 \
	"the redelivery was refused by COPY (unique violation)"

# ---- (3) the statement alone writes the same rows ----
run_once false "${T_ID}_stmt"
check "$(grep -ac 'loaded with COPY' "$T_DIR/ingest.$((${#T_PIDS[@]} - 1)).log" || true)" 0 \
	"SECURITYBOT_INGEST_COPY=false: no COPY"
sql "$ROWS_SQL" >"$T_DIR/rows.statement.txt"
check "$(wc -l <"$T_DIR/rows.copy.txt"):$(diff "$T_DIR/rows.copy.txt" "$T_DIR/rows.statement.txt" | grep -c . || true)" \
	"$(wc -l <"$T_DIR/rows.statement.txt"):0" "the same rows from COPY and from the statement"
# librdkafka's own (a broker just started answers "coordinator load in
# progress" for a moment) are not sb-ingest's, nor the mover's above
check "$(cat "$T_DIR"/ingest.*.log | grep -a '"level":"\(warn\|error\)"' | grep -av '"component":"librdkafka"' |
	grep -avc '"msg":"title search: queued titles not indexed' || true)" 0 \
	"no other warning or error logged by sb-ingest"
finish
