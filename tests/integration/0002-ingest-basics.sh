#!/usr/bin/env bash
# sb-ingest and sbctl as an operator and a detector use them: migrations,
# the directory import, one alert end to end, duplicates, redelivery, the
# outbox recovery, dead letters, database-refused alerts, configuration
# errors and graceful shutdown.
. "$(dirname "$0")/lib/common.sh"
ctl() { "$SB_BIN_DIR/sbctl" "$@"; }

# ---- every binary answers --help and --version ----
for b in sb-ingest sb-prompt sb-gateway sb-response sb-escalation sbctl; do
	# to a file: `| grep -q` stops reading at the first match, and a binary
	# still writing its long help then dies of SIGPIPE (pipefail: "failed")
	rc=0; "$SB_BIN_DIR/$b" --help >"$T_DIR/help.txt" || rc=$?
	check "$rc:$(grep -c '^Usage' "$T_DIR/help.txt")" 0:1 "$b --help prints usage and exits 0"
	check "$("$SB_BIN_DIR/$b" --version)" "$b 0.1.0" "$b --version"
done
rc=0; SECURITYBOT_PAGE_SEVERITY=urgent "$SB_BIN_DIR/sb-escalation" 2>"$T_DIR/cfg.err" || rc=$?
check "$rc:$(grep -c 'SECURITYBOT_PAGE_SEVERITY' "$T_DIR/cfg.err")" "2:1" "a bad setting exits 2 and names the variable"

# ---- migrations are idempotent ----
setup_env 3
check "$(ctl migrate)" "0 migration(s) applied; schema is up to date" "second migrate"
check "$(sql 'SELECT count(*) FROM schema_migrations')" "$(ls "$SB_SOURCE_DIR"/schemas/sql/[0-9]*.sql | wc -l)" "recorded migrations"

# ---- directory import: all or nothing, with line numbers ----
cat >"$T_DIR/emp.csv" <<'CSV'
username,email,chat_user_id,aliases
alice,alice@example.com,U001,ali;a.smith
bob,bob@example.com,,
"carol, admin",carol@example.com,U003,"c1;c2"
CSV
check "$(ctl employees import "$T_DIR/emp.csv")" "imported 3 employee(s): 3 new, 0 updated" "import"
printf 'username,email,chat_user_id,aliases\ndave,dave@example.com,,\nerin,not-an-email,,\nfrank,"unterminated,,\n' >"$T_DIR/bad.csv"
rc=0; ctl employees import "$T_DIR/bad.csv" 2>"$T_DIR/bad.err" || rc=$?
check "$rc" 1 "bad import exit code"
check "$(grep -c 'bad.csv:3: email' "$T_DIR/bad.err"):$(grep -c 'bad.csv:4: unterminated' "$T_DIR/bad.err")" "1:1" "bad lines reported by number"
check "$(sql 'SELECT count(*) FROM employees')" 3 "nothing of a bad file applied"
printf 'username,email,chat_user_id,aliases\nzed,zed@example.com,,\nmallory,ALICE@example.com,,\n' >"$T_DIR/clash.csv"
rc=0; ctl employees import "$T_DIR/clash.csv" 2>"$T_DIR/clash.err" || rc=$?
check "$rc:$(grep -c 'clash.csv:3: .*already belongs' "$T_DIR/clash.err")" "1:1" "a name of another employee refused"
check "$(sql "SELECT count(*) FROM employees WHERE username = 'zed'")" 0 "a refused import rolled back"
printf 'username,email,chat_user_id,aliases\nBob,robert@example.com,U002,bobby\n' >"$T_DIR/upd.csv"
check "$(ctl employees import "$T_DIR/upd.csv")" "imported 1 employee(s): 0 new, 1 updated" "re-import updates"
check "$(sql "SELECT email || ' ' || chat_user_id FROM employees WHERE lower(username) = 'bob'")" \
	"robert@example.com U002" "updated fields"
check "$(sql "SELECT string_agg(identity, ',' ORDER BY identity) FROM employee_identities ei JOIN employees e ON e.id = ei.employee_id WHERE lower(e.username) = 'bob'")" \
	"bob,bobby,robert@example.com" "identities follow the directory"

# ---- configuration errors are clear and name the variable ----
rc=0; env -u SECURITYBOT_DATABASE_URL "$SB_BIN_DIR/sb-ingest" 2>"$T_DIR/cfg.err" || rc=$?
check "$rc:$(grep -c SECURITYBOT_DATABASE_URL "$T_DIR/cfg.err")" "2:1" "missing database URL"
rc=0; SECURITYBOT_INGEST_BATCH_SIZE=0 "$SB_BIN_DIR/sb-ingest" 2>"$T_DIR/cfg.err" || rc=$?
check "$rc:$(grep -c SECURITYBOT_INGEST_BATCH_SIZE "$T_DIR/cfg.err")" "2:1" "out-of-range batch size"
rc=0; SECURITYBOT_KAFKA_NO_SUCH_THING=1 "$SB_BIN_DIR/sb-ingest" 2>"$T_DIR/cfg.err" || rc=$?
check "$rc:$(grep -c 'no.such.thing' "$T_DIR/cfg.err")" "2:1" "unknown librdkafka property"
rc=0; SECURITYBOT_KAFKA_SSL_CA_LOCATION=$T_DIR/no-such-ca.crt "$SB_BIN_DIR/sb-ingest" 2>"$T_DIR/cfg.err" || rc=$?
check "$rc:$(grep -c "SECURITYBOT_KAFKA_SSL_CA_LOCATION: cannot read $T_DIR/no-such-ca.crt" "$T_DIR/cfg.err")" "2:1" \
	"a CA file that cannot be read is a configuration error"

# ---- one alert end to end; a duplicate is the same alert ----
# The URL carries a password (trust auth ignores it): it must never be logged.
export SECURITYBOT_DATABASE_URL="${SECURITYBOT_DATABASE_URL/:\/\/securitybot@/://securitybot:Sup3rS3cret@}"
id=$(ctl alert send --user ALI --rule ssh-login --title "SSH login from a new country" \
	--severity high --id det-1 --occurred-at 2026-11-29T10:00:00+01:00 --key det-1)
# Same detector id: the same alert. The first version recorded wins (same
# key, same partition, so "first" is well defined).
ctl alert send --user alice --rule ssh-login --title "re-sent" --id det-1 --key det-1 >/dev/null
start_ingest
wait_ingested 2 60
check "$(sql "SELECT a.id || ' ' || e.username || ' ' || status || ' ' || a.title || ' ' || occurred_at AT TIME ZONE 'UTC' FROM alerts a JOIN employees e ON e.id = a.employee_id")" \
	"$id alice queued SSH login from a new country 2026-11-29 09:00:00" "the recorded alert"
check "$(grep -c Sup3rS3cret "$T_DIR"/ingest.*.log)" 0 "password absent from the logs"
check "$(grep -c '"msg":"starting sb-ingest' "$T_DIR"/ingest.*.log)" 1 "one redacted started line"

# ---- dead letters keep the original bytes, key and reason ----
printf '{"source":"x","rule":"r","title":"\xff","user":"alice","occurred_at":"2026-11-29T10:00:00Z"}\n' >"$T_DIR/bin.txt"
kcat -P -b "$SECURITYBOT_KAFKA_BROKERS" -t "${SECURITYBOT_TOPIC_PREFIX}alerts" -k key-7 -l "$T_DIR/bin.txt"
echo '{"source":"x","rule":"r","title":"t","user":"alice"}' >"$T_DIR/miss.json"
ctl alert send --file "$T_DIR/miss.json" --key key-8 >/dev/null
# Valid for the validator (RFC 3339 has a year 0), but PostgreSQL has no
# year 0: the batch falls back to one-by-one and only this alert is
# dead-lettered.
ctl alert send --user alice --rule r --title "huge" --id big-1 >/dev/null
echo '{"source":"x","rule":"r","title":"huge number","user":"bob","occurred_at":"0000-06-01T10:00:00Z"}' >"$T_DIR/huge.json"
ctl alert send --file "$T_DIR/huge.json" --key key-9 >/dev/null
wait_ingested 6 60
topic_dump alerts.dlq >"$T_DIR/dlq.txt"
python3 "$SB_SOURCE_DIR/tests/integration/lib/dlq_check.py" "$T_DIR/dlq.txt" "$T_DIR/bin.txt" >"$T_DIR/dlq.check"
check "$(sed -n 1p "$T_DIR/dlq.check")" "utf8 invalid_utf8 base64 True" "invalid UTF-8 dead letter (base64 original)"
check "$(sed -n 2p "$T_DIR/dlq.check")" "missing missing_field True True" "missing field dead letter"
check "$(sed -n 3p "$T_DIR/dlq.check")" "db invalid_value True" "alert refused by the database dead-lettered"
check "$(sed -n 4p "$T_DIR/dlq.check")" "fields ['detail', 'offset', 'original', 'partition', 'reason', 'rejected_at', 'schema', 'topic']" "dead letter fields"
check "$(sql "SELECT count(*) FROM alerts WHERE detector_id = 'big-1'")" 1 "the good alert of that batch recorded"

# ---- redelivery: another group re-reads everything: no new row, no new message ----
before=$(topic_dump prompts | wc -l)
stop_worker "$INGEST_PID"
export SECURITYBOT_INGEST_GROUP=replay-$$
start_ingest
# the window of nothing-happens starts once the new group has its partitions
# (a slow join would otherwise leave nothing re-read in it)
sb_wait_assigned "$T_DIR/ingest.$((${#T_PIDS[@]} - 1)).log" 60 "$INGEST_PID"
sleep 4
check "$(sql 'SELECT count(*) FROM alerts')" 2 "rows after a full redelivery"
check "$(topic_dump prompts | wc -l)" "$before" "prompt messages after a full redelivery"

# ---- crash recovery: recorded, but the process died before Kafka acknowledged ----
# Rewind the progress marker to the message that created det-1, as if the
# process had died between COMMIT and flush: every alert created from that
# message onwards in its partition is sent again, with the same id.
stop_worker "$INGEST_PID"
sql "UPDATE ingest_progress g SET next_offset = a.src_offset FROM alerts a
     WHERE a.detector_id = 'det-1' AND g.partition = a.src_partition"
resend=$(sql "SELECT count(*) FROM alerts a JOIN ingest_progress g ON g.partition = a.src_partition
              WHERE a.src_offset >= g.next_offset AND a.status = 'queued'")
check "$(sql "$UNSENT_SQL")" "$resend" "alerts marked as possibly unsent"
export SECURITYBOT_INGEST_GROUP=recover-$$
start_ingest
wait_ingested 6 60
wait_for "$UNSENT_SQL" 0 60
stop_worker "$INGEST_PID"
check "$(topic_dump prompts | wc -l)" "$((before + resend))" "the possibly unsent prompts sent again"
check "$(topic_dump prompts | cut -f4 | python3 -c 'import sys,json; print(len({json.loads(l)["message_id"] for l in sys.stdin}))')" \
	"$before" "with the same message_id (consumers deduplicate)"

# ---- suppression by an ignore rule; an expired rule does not suppress ----
sql "INSERT INTO ignore_rules (employee_id, rule, until, reason, created_by)
     SELECT id, 'noisy', now() + interval '1 hour', 'travel', 'test' FROM employees WHERE username = 'alice'
     UNION ALL SELECT id, '*', now() - interval '1 hour', 'expired', 'test' FROM employees WHERE username = 'carol, admin'"
ctl alert send --user alice --rule noisy --title "ignored" >/dev/null
ctl alert send --user c1 --rule noisy --title "not ignored" >/dev/null
start_ingest
wait_ingested 8 60
check "$(sql "SELECT status || '/' || coalesce(outcome, '-') FROM alerts WHERE title = 'ignored'")" "suppressed/suppressed" "ignored alert"
check "$(sql "SELECT status FROM alerts WHERE title = 'not ignored'")" "queued" "expired rule does not suppress"
check "$(topic_dump outcomes | grep -c '"outcome":"suppressed"')" 1 "suppressed outcome event"

# ---- hostile input: refused with the right reason, or stored verbatim ----
python3 "$SB_SOURCE_DIR/tests/integration/lib/hostile_alerts.py" "$T_DIR/hostile.bin"
kcat -P -b "$SECURITYBOT_KAFKA_BROKERS" -t "${SECURITYBOT_TOPIC_PREFIX}alerts" -k hostile -l "$T_DIR/hostile.bin"
wait_ingested 15 60
check "$(sql "SELECT string_agg(reason, ',' ORDER BY src_offset) FROM dead_letters WHERE msg_key = 'hostile'")" \
	"invalid_json,invalid_json,invalid_json,invalid_value,invalid_utf8,invalid_type" "hostile input refused with the right reasons"
check "$(sql "SELECT title FROM alerts WHERE detector_id = 'sql-1'")" "'; DROP TABLE alerts;--" "SQL text stored verbatim"
check "$(sql "SELECT count(*) FROM alerts")" 5 "alerts table intact"
check "$(kill -0 "$INGEST_PID" 2>/dev/null && echo alive)" alive "sb-ingest still running"
stop_worker "$INGEST_PID"
finish
