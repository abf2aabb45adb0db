#!/usr/bin/env bash
# sb-response's batches (issue 17, section 2) on the real stack (sb-response
# alone, console chat; the alerts written prompted, the answers published
# straight to <prefix>responses, keyed by chat user as sb-gateway keys
# them), two lanes. (1) Twenty-four answers waiting before sb-response starts are
# handled in a few transactions, not one each: the one PostgreSQL refuses
# (a received_at it cannot store) makes its batch's fast pass (no
# savepoints) roll back and run again with a savepoint per answer: it is
# rolled back alone, logged with its position and skipped, the others take
# effect once each, those before it and after it on its partition too (one
# audit line, one reply each); one employee's "yes" then "no" are applied in
# that order (the no is refused: already answered); a repeated event is
# applied once. (1b) One employee's "yes" (which asks for a code) and then
# a text with a code in it, in one batch: the text's sender is read again
# after the "yes", not taken from the batch's read made before it, so its
# digits are withheld. (2) 3,000 answers with the worker killed
# (SIGKILL) twice in the middle of its batches: after the restarts every
# answer is recorded once and every alert decided once (one transition,
# one audit line), and every outcome is on the topic.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/totp.sh"

setup_env 3
export SECURITYBOT_CHAT=console SECURITYBOT_CONSOLE_LOG=$T_DIR/chat.log
export SECURITYBOT_REQUIRE_2FA=false SECURITYBOT_RESPONSE_BATCH_MAX=64 SECURITYBOT_RESPONSE_LANES=2

# employees PREFIX N: N employees PREFIXnnnn (chat user U-PREFIXnnnn), each
# with one prompted alert (id: sha-256 of the username)
employees() {
	python3 -c 'import sys
p, n = sys.argv[1], int(sys.argv[2])
print("username,email,chat_user_id,aliases")
for i in range(n): print("%s%04d,%s%04d@example.com,U-%s%04d," % (p, i, p, i, p, i))' "$1" "$2" >"$T_DIR/$1.csv"
	"$SB_BIN_DIR/sbctl" employees import "$T_DIR/$1.csv" >/dev/null
	sql "INSERT INTO alerts (id, source, rule, title, username, severity, occurred_at, raw, employee_id,
	       status, src_topic, src_partition, src_offset, prompted_at, chat_channel, chat_ts)
	     SELECT encode(sha256(convert_to(e.username, 'UTF8')), 'hex'), 'batch', 'batch-rule',
	       'Batch ' || e.username, e.username, 'low', now(), '{}'::json, e.id, 'prompted', 'batch', 0,
	       e.id, now(), 'console:' || e.chat_user_id, '1.0'
	     FROM employees e WHERE e.username LIKE '$1%'"
}
# text EVENT USER TEXT: one text event line
text() {
	python3 -c 'import json, sys
ev, user, text = sys.argv[1:4]
print("U-%s\t%s" % (user, json.dumps({"schema": "response.v1", "event_id": ev, "platform": "console",
  "chat_user_id": "U-" + user, "alert_id": None, "kind": "text", "text": text,
  "received_at": "2026-11-29T12:00:00Z"})))' "$@"
}
# answer EVENT USER KIND [RECEIVED_AT] [KEY]: one response event line (key TAB
# value; the key, U-USER by default, picks the partition)
answer() {
	python3 -c 'import hashlib, json, sys
ev, user, kind, at, key = sys.argv[1:6]
print("%s\t%s" % (key, json.dumps({"schema": "response.v1", "event_id": ev, "platform": "console",
  "chat_user_id": "U-" + user, "alert_id": hashlib.sha256(user.encode()).hexdigest(), "kind": kind,
  "text": "", "received_at": at})))' "$1" "$2" "$3" "${4:-2026-11-29T12:00:00Z}" "${5:-U-$2}"
}
publish() { kcat -P -b "$SECURITYBOT_KAFKA_BROKERS" -t "${SECURITYBOT_TOPIC_PREFIX}responses" -K $'\t' -l "$1"; }
status_of() { sql "SELECT status FROM alerts WHERE username = '$1'"; }
confirmed() { sql "SELECT count(*) FROM alerts WHERE status = 'confirmed' AND username LIKE '$1%'"; }
start() {
	sb_start_worker "$T_DIR/sb-response.$1.log" sb-response
	PID=$SB_PID
}

# ---- (1) one poll: a bad answer among good ones, one employee's two in order, a repeat ----
employees b 22
{
	for i in $(seq -w 0 19); do
		if [[ $i == 10 ]]; then
			# on the bad answer's partition, right before and right after it
			answer b-21 b0021 confirm "" U-b0010
			answer bad-10 "b00$i" confirm 0000-01-01T00:00:00Z # PostgreSQL cannot store year 0
			answer b-20 b0020 confirm "" U-b0010
		else
			answer "b-$i" "b00$i" confirm
		fi
		[[ $i == 05 ]] && answer b-05-no b0005 deny # after her yes: too late
		[[ $i == 06 ]] && answer b-06 b0006 confirm # the same event again
	done
} >"$T_DIR/b.tsv"
publish "$T_DIR/b.tsv"
start 0
wait_for "SELECT count(*) FROM responses" 22 60 || true
wait_for "SELECT count(*) FROM alerts WHERE status = 'confirmed'" 21 30 || true
sb_wait_log "$T_DIR/sb-response.0.log" 'date/time field value out of range' 30 "$PID" >/dev/null || true
check "$(confirmed b)" 21 "the good answers took effect"
redo=$(grep -o 'answer [0-9]* of [0-9]* failed: the batch runs again with a savepoint per answer' \
	"$T_DIR/sb-response.0.log" || true)
check "$(grep -c . <<<"$redo")" 1 "the bad answer's batch ran again with savepoints, once (${redo%%:*})"
check "$(status_of b0021) $(status_of b0020)" "confirmed confirmed" \
	"the answers before and after it on its partition took effect"
check "$(sql "SELECT count(*) FROM responses WHERE event_id IN ('b-20', 'b-21')")" 2 "and were recorded once each"
check "$(sql "SELECT string_agg(n::text, ' ') FROM (SELECT count(a.id) AS n FROM alerts l
  LEFT JOIN audit_log a ON a.alert_id = l.id AND a.detail->>'to' = 'confirmed'
  WHERE l.username LIKE 'b%' AND l.username <> 'b0010' GROUP BY l.id HAVING count(a.id) <> 1) x")" "" \
	"each good answer decided its alert once (one audit line each)"
check "$(status_of b0010)" prompted "the bad answer changed nothing"
check "$(sql "SELECT count(*) FROM responses WHERE event_id = 'bad-10'")" 0 "and is not recorded"
check "$(grep 'date/time field value out of range' "$T_DIR/sb-response.0.log" | python3 -c 'import json, sys
ms = [json.loads(l) for l in sys.stdin]
print(len(ms), ms[0]["level"], "partition" in ms[0] and "offset" in ms[0])')" "1 error True" \
	"it is logged once, as an error with its partition and offset"
check "$(status_of b0005)" confirmed "b0005's yes came first"
check "$(sql "SELECT count(*) FROM audit_log a JOIN alerts l ON l.id = a.alert_id
  WHERE l.username = 'b0005' AND a.action = 'answer_refused_closed'")" 1 "her no after it: refused, already answered"
check "$(sql "SELECT count(*) FROM audit_log WHERE detail->>'event_id' = 'b-06'")" 1 "the repeated event: applied once"
tx=$(sql "SELECT count(DISTINCT recorded_at) FROM responses")
check "$((tx >= 1 && tx <= 6))" 1 "22 answers recorded in a few transactions (one per poll and lane; got $tx)"
wait_for "SELECT count(*) FROM alerts WHERE outcome_due_at IS NOT NULL" 0 30 || true
check "$(topic_dump outcomes | grep -c .)" 21 "one outcome per decided alert"
check "$(grep -c '"op":"text".*that.s all I needed' "$T_DIR/chat.log")" 21 "each employee told, once"
stop_worker "$PID"

# ---- (1b) a "yes" then a code in a text, one employee, one batch ----
employees d 1
totp_setup d0000
{
	answer d-yes d0000 confirm
	text d-text d0000 "my code is 123456 sorry"
} >"$T_DIR/d.tsv"
publish "$T_DIR/d.tsv"
start 1b
wait_for "SELECT count(*) FROM responses WHERE event_id LIKE 'd-%'" 2 30 || true
check "$(status_of d0000)" awaiting_code "the yes asked for a code"
check "$(sql "SELECT count(DISTINCT recorded_at) FROM responses WHERE event_id LIKE 'd-%'")" 1 \
	"both answers in one transaction"
check "$(sql "SELECT text FROM responses WHERE event_id = 'd-text'")" "my code is ****** sorry" \
	"the text's digits withheld: its code request was read after the yes"
stop_worker "$PID"

# ---- (2) 3,000 answers, the worker killed twice mid-batch ----
employees c 3000
for i in $(seq -w 0 2999); do printf '%s\t%s\n' "c$i" "c-$i"; done |
	python3 -c 'import hashlib, json, sys
for l in sys.stdin:
    user, ev = l.split()
    print("U-%s\t%s" % (user, json.dumps({"schema": "response.v1", "event_id": ev, "platform": "console",
      "chat_user_id": "U-" + user, "alert_id": hashlib.sha256(user.encode()).hexdigest(), "kind": "confirm",
      "text": "", "received_at": "2026-11-29T12:00:00Z"})))' >"$T_DIR/c.tsv"
publish "$T_DIR/c.tsv"
start 1
at_least() { (($(confirmed c) >= $1)); }
for at in 300 1500; do
	sb_wait_until 120 "$PID" at_least "$at" || true
	kill -KILL "$PID"
	wait "$PID" 2>/dev/null || true
	log "killed at $(confirmed c) confirmed"
	start "$at"
done
wait_for "SELECT count(*) FROM alerts WHERE status = 'confirmed' AND username LIKE 'c%'" 3000 180 || true
check "$(confirmed c)" 3000 "every answer took effect after the restarts"
check "$(sql "SELECT count(*) FROM responses WHERE event_id LIKE 'c-%'")" 3000 "each recorded once"
check "$(sql "SELECT count(*) FROM (SELECT alert_id FROM audit_log WHERE detail->>'to' = 'confirmed'
  GROUP BY alert_id HAVING count(*) <> 1) x")" 0 "each alert decided once (one audit line each)"
check "$(sql "SELECT count(*) FROM alerts WHERE username LIKE 'c%' AND version <> (SELECT min(version) FROM alerts WHERE username LIKE 'c%')")" \
	0 "one transition each (the same version everywhere)"
wait_for "SELECT count(*) FROM alerts WHERE outcome_due_at IS NOT NULL" 0 30 || true
check "$(topic_dump outcomes | cut -f1 | sort -u | grep -c .)" 3021 "every outcome published"
log "replayed after the kills: $(cat "$T_DIR"/sb-response.*.log | grep -c 'already handled' || true) answers already handled;" \
	"$(($(topic_dump outcomes | grep -c .) - 3021)) outcomes published twice (at-least-once)"
stop_worker "$PID"
finish
