#!/usr/bin/env bash
# 0039-pg-roles: least privilege in PostgreSQL (issue 15, section 2) on the
# real cluster. sbctl migrate, run as the tables' owner, leaves each worker a
# login role of its own (schemas/grants.sql); connected as each, the test
# checks what it may not do (change or empty audit_log and the chain, alter
# or drop a table, create one, run audit_seal(), touch another worker's
# tables or columns) and that it can do what its SQL needs (each statement
# kind, in a transaction rolled back). Nobody but the owner holds UPDATE,
# DELETE or TRUNCATE on the audit tables; sbctl roles lists the roles and
# sets a password; a grant added by hand is gone after the next migrate; concurrent migrates of four databases all succeed; and
# sb-ingest started by the harness is connected as sb_ingest and records.
. "$(dirname "$0")/lib/common.sh"

ROLES=(sb_ingest sb_prompt sb_response sb_escalation sb_console)

setup_env 1
OWNER=$(sql "SELECT current_user")
import_people alice:U001

# as_role ROLE SQL: runs SQL connected as ROLE (no password: the stack trusts
# loopback); prints "ok", or the SQLSTATE it failed with.
as_role() {
	local out
	if out=$(psql -X -q -At -v ON_ERROR_STOP=1 -v VERBOSITY=sqlstate \
		"$(sb_url_with_user "$SECURITYBOT_DATABASE_URL" "$1")" -c "$2" 2>&1 >/dev/null); then
		echo ok
	else
		sed -nE 's/^(psql:[^E]*)?ERROR:  ([0-9A-Z]{5}).*/\2/p' <<<"$out" | head -n1
	fi
}
# in_tx ROLE SQL: SQL as ROLE in a transaction that is rolled back
in_tx() { as_role "$1" "BEGIN; $2; ROLLBACK"; }
# refused ROLE SQL WHAT: SQL as ROLE fails with insufficient_privilege
refused() { check "$(in_tx "$1" "$2")" 42501 "$1 may not: $3"; }
# allowed ROLE SQL WHAT
allowed() { check "$(in_tx "$1" "$2")" ok "$1 may: $3"; }

# ---- the roles ----
check "$(sql "SELECT string_agg(rolname || ':' || concat(rolcanlogin::int, rolsuper::int, rolcreaterole::int,
                                 rolcreatedb::int, rolbypassrls::int), ' ' ORDER BY rolname)
              FROM pg_roles WHERE rolname LIKE 'sb\_%'")" \
	"sb_console:10000 sb_escalation:10000 sb_ingest:10000 sb_prompt:10000 sb_response:10000" \
	"five login roles, none superuser, none creating roles or databases"
check "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner <> '$OWNER'")" 0 \
	"every table belongs to the owner ($OWNER)"

# ---- nobody but the owner may change the audit trail ----
check "$(sql "SELECT count(*) FROM pg_roles r, unnest(ARRAY['audit_log', 'audit_chain', 'audit_chain_head',
                     'audit_pending']) t, unnest(ARRAY['UPDATE', 'DELETE', 'TRUNCATE']) p
              WHERE r.rolname <> '$OWNER' AND NOT r.rolsuper AND r.rolname !~ '^pg_'
                AND has_table_privilege(r.oid, t::regclass, p)")" 0 \
	"no role but the owner may UPDATE, DELETE or TRUNCATE the audit tables"
check "$(sql "SELECT count(*) FROM information_schema.column_privileges
              WHERE table_name LIKE 'audit%' AND privilege_type = 'UPDATE' AND grantee <> '$OWNER'")" 0 \
	"no role holds UPDATE on a column of the audit tables"
for r in "${ROLES[@]}"; do
	refused "$r" "DELETE FROM audit_log" "DELETE FROM audit_log"
	refused "$r" "UPDATE audit_log SET actor = 'x'" "UPDATE audit_log"
	refused "$r" "TRUNCATE audit_log" "TRUNCATE audit_log"
	refused "$r" "ALTER TABLE audit_log DISABLE TRIGGER USER" "ALTER TABLE (drop the append-only trigger)"
	refused "$r" "DROP TRIGGER audit_log_no_update ON audit_log" "DROP TRIGGER"
	refused "$r" "ALTER TABLE alerts ADD COLUMN x int" "ALTER TABLE alerts"
	refused "$r" "DROP TABLE employees" "DROP TABLE"
	refused "$r" "CREATE TABLE public.mine (x int)" "CREATE TABLE in public"
	refused "$r" "INSERT INTO audit_chain VALUES (1, 1, sha256(''), sha256(''))" "INSERT INTO audit_chain"
	refused "$r" "UPDATE audit_chain_head SET seq = 0" "UPDATE audit_chain_head"
	refused "$r" "DELETE FROM audit_pending" "DELETE FROM audit_pending"
	refused "$r" "DELETE FROM alerts" "DELETE FROM alerts"
	refused "$r" "DELETE FROM alert_titles" "DELETE FROM alert_titles"
	refused "$r" "INSERT INTO alert_title_queue VALUES (repeat('c', 64), 'forged')" "INSERT INTO alert_title_queue"
	refused "$r" "INSERT INTO console_users (name, role) VALUES ('mallory', 'admin')" "create a console user"
	refused "$r" "SELECT * FROM schema_migrations" "read schema_migrations"
	[[ $r == sb_escalation ]] || refused "$r" "SELECT audit_seal(10)" "run audit_seal()"
	refused "$r" "SELECT audit_log_content_hash(a) FROM audit_log a" "run audit_log_content_hash()"
done

# ---- each worker: what it needs, and the neighbours' rights it lacks ----
alert_sql() { # alert_sql CHAR: an alert whose id is 64 times CHAR
	printf "INSERT INTO alerts (id, source, rule, title, username, severity, occurred_at, raw, status,
	        src_topic, src_partition, src_offset) VALUES (repeat('%s', 64), 's', 'r', 't', 'alice',
	        'high', now(), '{}', 'queued', 'alerts', 0, 0)" "$1"
}
sql "$(alert_sql a)" >/dev/null
sql "INSERT INTO escalations (alert_id, reason) VALUES (repeat('a', 64), 'test')" >/dev/null
EMP=$(sql "SELECT id FROM employees WHERE username = 'alice'")

allowed sb_ingest "$(alert_sql b) ON CONFLICT (id) DO NOTHING RETURNING id" "record an alert"
allowed sb_ingest "INSERT INTO ingest_progress (topic, partition, next_offset) VALUES ('t', 0, 1)
                   ON CONFLICT (topic, partition) DO UPDATE SET next_offset = excluded.next_offset, updated_at = now()" \
	"advance its progress"
allowed sb_ingest "INSERT INTO dead_letters (src_topic, src_partition, src_offset, reason, detail, original, rejected_by)
                   VALUES ('t', 0, 9, 'r', 'd', '', 'sb-ingest') ON CONFLICT DO NOTHING" "record a dead letter"
allowed sb_ingest "SELECT e.id, e.opted_out FROM employee_identities ei JOIN employees e ON e.id = ei.employee_id" \
	"match the directory"
refused sb_ingest "UPDATE employees SET opted_out = true" "UPDATE employees"
refused sb_ingest "UPDATE alerts SET status = 'denied'" "UPDATE alerts"
allowed sb_ingest "INSERT INTO audit_log (actor, action) VALUES ('sb-ingest', 'confirmed_recently')" \
	"append to audit_log (confirmed_recently)"
refused sb_ingest "SELECT * FROM audit_log" "read audit_log"
check "$(sql "SELECT count(*) FROM alert_title_queue WHERE alert_id = repeat('a', 64)")" 1 "an alert's title is queued by the trigger"
check "$(as_role sb_ingest "SELECT alert_titles_index(1000)")" ok "sb_ingest may: move queued titles into the search table"
check "$(sql "SELECT (SELECT count(*) FROM alert_titles WHERE alert_id = repeat('a', 64)) || '/' ||
              (SELECT count(*) FROM alert_title_queue)")" 1/0 "the title moved from the queue to the search table"
refused sb_ingest "SELECT * FROM alert_titles" "read alert_titles"
refused sb_ingest "SELECT totp_secret_enc FROM employees" "read the TOTP secrets"

allowed sb_prompt "SELECT id FROM alerts WHERE status = 'queued' FOR UPDATE SKIP LOCKED" "lock queued alerts"
allowed sb_prompt "UPDATE alerts SET status = 'prompted', prompted_at = now(), chat_channel = 'D', chat_ts = '1',
                   prompt_attempts = 1, version = version + 1, updated_at = now()" "claim and send"
allowed sb_prompt "UPDATE employees SET chat_user_id = 'U9', updated_at = now() WHERE id = $EMP" "learn a chat user id"
allowed sb_prompt "INSERT INTO audit_log (actor, action) VALUES ('sb-prompt', 'prompt_sent')" "append to audit_log"
refused sb_prompt "UPDATE alerts SET outcome = 'confirmed'" "decide an outcome"
allowed sb_prompt "UPDATE alerts SET ask_at = now() WHERE status = 'queued'" "hold an alert for working hours"
allowed sb_prompt "UPDATE employees SET timezone = 'Asia/Tokyo', timezone_source = 'chat', timezone_looked_up_at = now() WHERE id = $EMP" \
	"learn a time zone"
refused sb_prompt "UPDATE employees SET working_hours = '00:00-24:00 daily'" "change working hours"
refused sb_prompt "UPDATE employees SET opted_out = true" "opt an employee out"
refused sb_prompt "SELECT totp_secret_enc FROM employees" "read the TOTP secrets"
refused sb_prompt "SELECT * FROM console_sessions" "read console sessions"

allowed sb_response "SELECT encode(totp_secret_enc, 'hex'), totp_last_step FROM employees WHERE id = $EMP FOR UPDATE" \
	"lock an employee to check a code"
allowed sb_response "UPDATE employees SET totp_last_step = 1, opted_out = false, updated_at = now()" "use a step, stop/start"
allowed sb_response "UPDATE alerts SET status = 'confirmed', answer = 'confirm', answered_at = now(), outcome = 'confirmed',
                     second_factor = 'passed', second_factor_method = 'totp', code_failures = 0, decided_at = now(),
                     outcome_due_at = now(), comment = 'c', version = version + 1, updated_at = now()" "record an answer"
allowed sb_response "INSERT INTO responses (event_id, platform, chat_user_id, kind, received_at)
                     VALUES ('e1', 'slack', 'U001', 'confirm', now()) ON CONFLICT (event_id) DO NOTHING RETURNING 1" \
	"record a response"
allowed sb_response "WITH g AS (INSERT INTO guarded_changes (employee_id, kind, event_id, expires_at)
                     VALUES ($EMP, 'stop', 'e1', now()) RETURNING id)
                     INSERT INTO duo_pushes (change_id, employee_id, duo_username, stage) SELECT id, $EMP, 'alice', 'preauth' FROM g" \
	"open a guarded change and its Duo push"
allowed sb_response "UPDATE duo_pushes SET stage = 'push', lease_owner = 'x', lease_until = now(), txid = 't', pushes = 1,
                     failures = 0, unavailable_since = NULL, next_at = now(), passcode_enc = NULL, updated_at = now()" \
	"move a Duo push on"
allowed sb_response "DELETE FROM duo_pushes" "finish a Duo push"
allowed sb_response "INSERT INTO ignore_rules (employee_id, rule, until, created_by) VALUES ($EMP, 'r', now(), 'chat')" \
	"add an ignore rule"
allowed sb_response "INSERT INTO second_factor_failures (employee_id, what) VALUES ($EMP, 'totp');
                     SELECT count(*) FROM second_factor_failures" "count second-factor failures"
allowed sb_response "SELECT count(*) FROM audit_log; INSERT INTO audit_log (actor, action) VALUES ('x', 'y')" \
	"read and append to audit_log"
refused sb_response "UPDATE employees SET duo_username = 'mallory'" "change an employee's Duo user"
refused sb_response "UPDATE employees SET totp_secret_enc = NULL" "reset a TOTP secret"
refused sb_response "UPDATE alerts SET chat_ts = NULL" "UPDATE alerts.chat_ts"
refused sb_response "UPDATE escalations SET verdict = 'benign'" "resolve an escalation"
refused sb_response "DELETE FROM ignore_rules" "delete ignore rules"

allowed sb_escalation "SELECT a.raw, e.username, e.email FROM alerts a LEFT JOIN employees e ON e.id = a.employee_id
                       FOR UPDATE OF a" "lock an alert to escalate"
allowed sb_escalation "INSERT INTO escalations (alert_id, reason) VALUES (repeat('a', 64), 'x')
                       ON CONFLICT (alert_id) DO NOTHING RETURNING alert_id" "raise an escalation"
allowed sb_escalation "UPDATE escalations SET reported_at = now(), paged_at = now(), delivered_at = now(),
                       deliver_attempts = 1, deliver_retry_at = NULL, last_error = NULL" "mark a delivery"
allowed sb_escalation "UPDATE alerts SET status = 'escalated', status_reason = 'x', outcome = 'denied',
                       decided_at = now(), reminded_at = now(), version = version + 1, updated_at = now()" "escalate, remind"
allowed sb_escalation "INSERT INTO digests (period_start, period_end, posted_by) VALUES (now(), now(), 'x');
                       SELECT hash FROM audit_chain_head" "post a digest"
allowed sb_escalation "INSERT INTO audit_log (actor, action) VALUES ('x', 'y'); SELECT audit_seal(10)" \
	"append to audit_log and seal the chain"
allowed sb_escalation "UPDATE alerts SET remind_due_at = now(), escalate_due_at = now() WHERE false" "set working-time timers"
allowed sb_escalation "SELECT timezone, working_hours FROM employees" "read working hours"
refused sb_escalation "SELECT totp_secret_enc FROM employees" "read the TOTP secrets"
refused sb_escalation "UPDATE escalations SET verdict = 'benign'" "resolve an escalation"
refused sb_escalation "UPDATE alerts SET chat_ts = NULL" "UPDATE alerts.chat_ts"

allowed sb_console "SELECT count(*) FROM alerts a LEFT JOIN employees e ON e.id = a.employee_id
                    LEFT JOIN escalations s ON s.alert_id = a.id; SELECT count(*) FROM dead_letters" "read alerts"
allowed sb_console "SELECT count(*) FROM alert_titles; SELECT count(*) FROM alert_title_queue" "read the title search"
refused sb_console "SELECT alert_titles_index(10)" "move queued titles"
allowed sb_console "UPDATE escalations SET acknowledged_by = 'x', acknowledged_at = now(), resolved_by = 'x',
                    resolved_at = now(), verdict = 'benign', resolution_note = 'n'" "work an escalation"
allowed sb_console "UPDATE employees SET opted_out = true, totp_secret_enc = NULL, totp_last_step = NULL, updated_at = now()" \
	"opt out, reset a second factor"
allowed sb_console "INSERT INTO ignore_rules (employee_id, rule, until, created_by) VALUES ($EMP, 'r', now(), 'x');
                    DELETE FROM ignore_rules" "add and remove ignore rules"
allowed sb_console "SELECT count(*) FROM console_users u JOIN console_sessions s ON s.user_id = u.id;
                    DELETE FROM console_sessions; DELETE FROM console_login_failures;
                    UPDATE console_tokens SET last_used_at = now(); UPDATE console_users SET locked_until = now()" \
	"its sessions, tokens and lockouts"
refused sb_console "UPDATE console_users SET role = 'admin'" "raise a console user's role"
refused sb_console "UPDATE console_tokens SET revoked_at = NULL" "revive a token"
refused sb_console "UPDATE alerts SET status = 'confirmed'" "UPDATE alerts"
refused sb_console "UPDATE employees SET duo_username = 'mallory'" "change an employee's Duo user"

# ---- sbctl roles ----
check "$("$SB_BIN_DIR/sbctl" roles list | tr -s ' ' | paste -sd,)" \
	"sb_ingest login,sb_prompt login,sb_response login,sb_escalation login,sb_console login" "sbctl roles list"
rc=0
echo short | "$SB_BIN_DIR/sbctl" roles password sb_console >/dev/null 2>&1 || rc=$?
check "$rc" 2 "sbctl roles password: a password under 12 bytes is refused"
rc=0
echo long-enough-password | "$SB_BIN_DIR/sbctl" roles password "$OWNER" >/dev/null 2>&1 || rc=$?
check "$rc" 1 "sbctl roles password: only the workers' roles"
# the stack trusts loopback, so the password changes nothing here
check "$(python3 -c 'import os; print(os.urandom(16).hex())' | "$SB_BIN_DIR/sbctl" roles password sb_console)" \
	"password set for sb_console" "sbctl roles password sb_console"

# ---- migrate brings the grants back to the file's ----
sql "GRANT DELETE ON audit_log TO sb_response; GRANT UPDATE ON employees TO sb_ingest" >/dev/null
check "$(in_tx sb_ingest "UPDATE employees SET opted_out = true")" ok "a grant added by hand works at first"
check "$("$SB_BIN_DIR/sbctl" migrate 2>&1 | tail -n1)" "0 migration(s) applied; schema is up to date" "migrate again"
check "$(sql "SELECT has_table_privilege('sb_response', 'audit_log', 'DELETE'),
                     has_column_privilege('sb_ingest', 'employees', 'opted_out', 'UPDATE')")" "f|f" \
	"the next migrate revoked the grants added by hand"

# ---- concurrent migrates of four databases (roles are per cluster) ----
pids=()
for i in 1 2 3 4; do
	sb_db_create "${T_ID}_c$i"
	"$SB_BIN_DIR/sbctl" migrate >"$T_DIR/migrate.$i.out" 2>&1 &
	pids+=("$!")
done
rcs=""
for p in "${pids[@]}"; do
	rc=0
	wait "$p" || rc=$?
	rcs+="$rc"
done
check "$rcs" 0000 "four concurrent migrates (one cluster, four databases) all succeed"
grants=""
for i in 1 2 3 4; do
	grants+=$(psql -X -q -At "$(sb_url_with_db "$T_ADMIN_URL" "${T_ID}_c$i")" \
		-c "SELECT has_table_privilege('sb_ingest', 'alerts', 'INSERT')")
done
check "$grants" tttt "the grants are in each database"
SECURITYBOT_DATABASE_URL=$(sb_url_with_db "$T_ADMIN_URL" "$T_ID")

# ---- the harness starts sb-ingest as sb_ingest, and it works ----
ingest_log=$T_DIR/ingest.${#T_PIDS[@]}.log
start_ingest
sb_wait_assigned "$ingest_log" 60 "$INGEST_PID" || log "sb-ingest not assigned"
echo '{"source": "test", "rule": "roles", "title": "Roles", "user": "alice", "occurred_at": "2026-01-01T00:00:00Z"}' \
	>"$T_DIR/alert.json"
publish_lines "$T_DIR/alert.json"
wait_for "SELECT count(*) FROM alerts WHERE rule = 'roles'" 1 60 || true
check "$(sql "SELECT status FROM alerts WHERE rule = 'roles'")" queued "sb-ingest, as sb_ingest, recorded the alert"
check "$(sql "SELECT string_agg(DISTINCT usename, ',') FROM pg_stat_activity
              WHERE datname = current_database() AND application_name = 'sb-ingest'")" sb_ingest \
	"sb-ingest's connections are sb_ingest's"
check "$(grep -c 'postgres\(ql\)\?://\|password=' "$ingest_log")" 0 "no database URL in sb-ingest's log"

finish
