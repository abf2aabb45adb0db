#!/usr/bin/env bash
# 0034-audit-chain: the audit log's hash chain (issue 15, section 3) on the
# real PostgreSQL: eight writers and two sealers at once leave a chain that
# verifies (sb-escalation's sealing and digest are checked in 0011); an
# edited, a deleted and a swapped pair of rows (done as the owner, with the
# append-only trigger disabled) are each found and the row named; deleted
# rows at the end are found against the chain's head; the export's lines
# re-verify outside the database; rows written before the migration are
# chained by it.
. "$(dirname "$0")/lib/common.sh"
OUT=$T_DIR/out ERR=$T_DIR/err
run() { # run ARGS...: sbctl's exit status; stdout in $OUT, stderr in $ERR
	local rc=0
	"$SB_BIN_DIR/sbctl" "$@" >"$OUT" 2>"$ERR" || rc=$?
	echo "$rc"
}
# as_owner SQL: SQL with the tables' triggers off, as only their owner can
as_owner() {
	sql "BEGIN; ALTER TABLE audit_log DISABLE TRIGGER USER; ALTER TABLE audit_chain DISABLE TRIGGER USER;
	     $1; ALTER TABLE audit_log ENABLE TRIGGER USER; ALTER TABLE audit_chain ENABLE TRIGGER USER; COMMIT" >/dev/null
}
id_at() { sql "SELECT audit_id FROM audit_chain WHERE seq = $1"; }

sb_db_create "$T_ID"
"$SB_BIN_DIR/sbctl" migrate >/dev/null

# ---- usage ----
check "$(run audit --help):$(grep -c 'sbctl audit verify' "$OUT")" 0:1 "audit --help"
check "$(run audit rewrite)" 2 "an unknown audit command exits 2"
check "$(run audit verify --since yesterday-ish)" 2 "a bad --since exits 2"
check "$(run audit verify):$(cat "$OUT")" "0:audit chain verified: no rows" "an empty log verifies"

# ---- eight writers at once, single rows and transactions of five ----
writer() {
	local i=$1 j
	for ((j = 1; j <= 100; j++)); do
		if ((j % 10 == 0)); then
			printf "BEGIN; INSERT INTO audit_log (actor, action, detail) SELECT 'writer-%s', 'batch', jsonb_build_object('j', %s, 'k', k) FROM generate_series(1, 5) k; COMMIT;\n" "$i" "$j"
		else
			printf "INSERT INTO audit_log (actor, action, alert_id, detail) VALUES ('writer-%s', 'single', 'a%s', '{\"j\": %s, \"text\": \"caf\\u00e9 & <b>\"}');\n" "$i" "$j" "$j"
		fi
	done | psql -X -q -v ON_ERROR_STOP=1 "$SECURITYBOT_DATABASE_URL" >/dev/null
}
# two sealers beside them, as sb-escalation's replicas call it each tick
sealer() {
	while [[ ! -e $T_DIR/writers-done ]]; do
		sql "SELECT audit_seal(200)" >>"$T_DIR/sealed.$1"
	done
}
sealer 1 &
s1=$!
sealer 2 &
s2=$!
pids=()
for i in 1 2 3 4 5 6 7 8; do
	writer "$i" &
	pids+=("$!")
done
for p in "${pids[@]}"; do wait "$p"; done
touch "$T_DIR/writers-done"
wait "$s1" "$s2"
check "$(cat "$T_DIR"/sealed.* | awk '$1 > 0 {n++} END {print (n > 1)}')" 1 "rows were sealed while the writers wrote"
pending=$(sql "SELECT count(*) FROM audit_pending")
check "$(run audit verify):$(grep -c "^$pending newer row(s) not sealed yet" "$OUT")" "0:$((pending > 0 ? 1 : 0))" \
	"verify before the last seal: what is sealed verifies, the rest is counted"
sql "SELECT audit_seal(100000)" >/dev/null
total=$(sql "SELECT count(*) FROM audit_log")
check "$total" 1120 "8 writers x (90 single rows + 10 transactions of 5)"
check "$(sql "SELECT min(seq), max(seq), count(DISTINCT audit_id) FROM audit_chain")" "1|$total|$total" \
	"chain positions 1..N, one per row"
check "$(sql "SELECT seq FROM audit_chain_head")" "$total" "the head is at the last position"
check "$(run audit verify):$(grep -c "verified: $total rows (chain positions 1 to $total), latest hash $(sql "SELECT encode(hash, 'hex') FROM audit_chain_head")" "$OUT")" \
	0:1 "the chain written concurrently verifies"

# ---- an edited row ----
victim=$(id_at 400)
orig=$(sql "SELECT actor FROM audit_log WHERE id = $victim")
as_owner "UPDATE audit_log SET actor = 'mallory' WHERE id = $victim"
check "$(run audit verify):$(grep -c "broken at row id $victim (chain position 400): its content does not match its hash (edited)" "$OUT")" \
	1:1 "an UPDATE is found at its row"
as_owner "UPDATE audit_log SET actor = '$orig' WHERE id = $victim"
check "$(run audit verify)" 0 "the original value back: the chain verifies again"

# ---- a deleted row, then also its place in the chain ----
victim=$(id_at 800)
next=$(id_at 801)
sql "CREATE TABLE saved AS SELECT * FROM audit_log WHERE id = $victim; CREATE TABLE saved_chain AS SELECT * FROM audit_chain WHERE seq = 800" >/dev/null
as_owner "DELETE FROM audit_log WHERE id = $victim"
check "$(run audit verify):$(grep -c "broken at row id $victim (chain position 800): the row is missing (deleted)" "$OUT")" \
	1:1 "a DELETE is found and the deleted row named"
as_owner "DELETE FROM audit_chain WHERE seq = 800"
check "$(run audit verify):$(grep -c "broken at row id $next (chain position 801): the place before it in the chain is missing (deleted)" "$OUT")" \
	1:1 "its place in the chain deleted too: found at the next row"
as_owner "INSERT INTO audit_log OVERRIDING SYSTEM VALUE SELECT * FROM saved; INSERT INTO audit_chain SELECT * FROM saved_chain"
check "$(run audit verify)" 0 "the row back: verifies"

# ---- a row written around the chain ----
as_owner "INSERT INTO audit_log (actor, action) VALUES ('mallory', 'backdated')" # no pending row either
sneaked=$(sql "SELECT max(id) FROM audit_log")
check "$(run audit verify):$(grep -c "broken at row id $sneaked: it has no place in the chain" "$OUT")" \
	1:1 "a row inserted with the trigger disabled is found"
as_owner "DELETE FROM audit_log WHERE id = $sneaked"

# ---- a swapped pair: the two rows' contents exchanged, then their places ----
a=$(id_at 600) b=$(id_at 601)
swap_rows() {
	as_owner "UPDATE audit_log x SET at = y.at, actor = y.actor, action = y.action, alert_id = y.alert_id,
	            employee_id = y.employee_id, detail = y.detail
	          FROM audit_log y WHERE (x.id, y.id) IN (($a, $b), ($b, $a))"
}
swap_rows
check "$(run audit verify):$(grep -c "broken at row id $a (chain position 600): its content does not match its hash" "$OUT")" \
	1:1 "two rows' contents swapped: found at the first"
swap_rows
swap_seqs() { as_owner "UPDATE audit_chain SET seq = -1 WHERE seq = 600; UPDATE audit_chain SET seq = 600 WHERE seq = 601; UPDATE audit_chain SET seq = 601 WHERE seq = -1"; }
swap_seqs
check "$(run audit verify):$(grep -c "broken at row id $b (chain position 600): it does not follow the row before it" "$OUT")" \
	1:1 "two rows' places swapped: found at the first"
swap_seqs
check "$(run audit verify)" 0 "swapped back: verifies"

# ---- rows deleted at the end, with their places ----
sql "TRUNCATE saved, saved_chain; INSERT INTO saved_chain SELECT * FROM audit_chain WHERE seq > $((total - 3));
     INSERT INTO saved SELECT * FROM audit_log WHERE id IN (SELECT audit_id FROM saved_chain)" >/dev/null
as_owner "DELETE FROM audit_log WHERE id IN (SELECT audit_id FROM saved_chain); DELETE FROM audit_chain WHERE seq > $((total - 3))"
check "$(run audit verify):$(grep -c "broken at its end: the head is at chain position $total, the last row at $((total - 3))" "$OUT")" \
	1:1 "the last three rows and places deleted: found against the head"
as_owner "INSERT INTO audit_log OVERRIDING SYSTEM VALUE SELECT * FROM saved; INSERT INTO audit_chain SELECT * FROM saved_chain"
check "$(run audit verify)" 0 "back: verifies"

# ---- the append-only trigger still holds for everyone else ----
check "$(sql "DELETE FROM audit_log WHERE id = $a" 2>&1 | grep -c 'append-only')" 1 "DELETE refused by the trigger"
check "$(sql "UPDATE audit_chain SET chain_hash = content_hash WHERE seq = 1" 2>&1 | grep -c 'append-only')" 1 "the chain cannot be updated"
check "$(sql "DELETE FROM audit_chain_head" 2>&1 | grep -c 'append-only')" 1 "the head cannot be deleted"

# ---- --since, and the export checked outside the database ----
check "$(run audit verify --since 1h):$(grep -c "verified: $total rows" "$OUT")" 0:1 "--since 1h: every row"
check "$(run audit export)" 0 "export"
check "$(python3 - "$OUT" "$(sql "SELECT encode(hash, 'hex') FROM audit_chain_head")" <<'EOF'
import hashlib, json, sys
prev, n = "0" * 64, 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    n += 1
    ok = (r["chain_seq"] == n and r["prev_hash"] == prev and
          hashlib.sha256(bytes.fromhex(prev) + bytes.fromhex(r["content_hash"])).hexdigest() == r["chain_hash"])
    if not ok:
        print("broken at", r["id"]); sys.exit()
    prev = r["chain_hash"]
print(n, prev == sys.argv[2])
EOF
)" "$total True" "every exported line links to the one before, up to the head"
check "$(grep -c 'café & <b>' "$OUT")" 720 "details exported as written"

# ---- rows written before the migration are chained by it ----
sb_db_create "${T_ID}_old"
sql "CREATE TABLE schema_migrations (version text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
for f in "$SB_SOURCE_DIR"/schemas/sql/[0-9]*.sql; do
	[[ $f == *_audit_chain.sql ]] && break
	psql -X -q -v ON_ERROR_STOP=1 "$SECURITYBOT_DATABASE_URL" -f "$f" >/dev/null
	sql "INSERT INTO schema_migrations (version, checksum) VALUES ('$(basename "$f" .sql)', '$(sha256sum "$f" | cut -d' ' -f1)')"
done
sql "INSERT INTO audit_log (actor, action) VALUES ('old', 'one'), ('old', 'two'), ('old', 'three')"
"$SB_BIN_DIR/sbctl" migrate >/dev/null
check "$(run audit verify):$(grep -c 'verified: 3 rows' "$OUT")" 0:1 "three rows from before the migration verify"
sql "INSERT INTO audit_log (actor, action) VALUES ('new', 'four')"
check "$(run audit verify):$(grep -c '^1 newer row(s) not sealed yet' "$OUT")" 0:1 "a new row waits for the seal"
sql "SELECT audit_seal(10)" >/dev/null
check "$(run audit verify):$(grep -c 'verified: 4 rows' "$OUT")" 0:1 "and then chains after them"
finish
