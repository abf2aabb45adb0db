-- grants: each worker's database role and the privileges its SQL needs, no
-- more. Unlike schemas/sql/, this is no migration: `sbctl migrate` runs it
-- after the migrations on every run, in one transaction, as the role that
-- owns the tables (the owner), so the grants always match this text.
-- Privileges are per database; roles are per cluster, so this only creates
-- a missing role and never changes one (an operator's password, attributes
-- and memberships stay). docs/security.md lists the grants, and
-- docs/decisions.md says why.
--
-- sb-gateway never connects to PostgreSQL and has no role; sbctl runs as the
-- owner. Identity columns need no sequence privilege (INSERT is enough), and
-- SELECT ... FOR UPDATE needs UPDATE on some column of the table, which each
-- table locked that way already has here. Where a worker has no need of an
-- employee's second-factor secrets, it reads only the columns it uses.

-- The roles: LOGIN without a password, so nobody logs in as one until the
-- operator gives it a password (or another method in pg_hba.conf).
-- Concurrent runs on other databases of the cluster may create the same
-- role at the same moment: the loser's insert waits for the winner's and
-- then fails with unique_violation (duplicate_object when it sees the role
-- first); either means the role is there.
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['sb_ingest', 'sb_prompt', 'sb_response', 'sb_escalation',
                             'sb_console'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I LOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        END IF;
    END LOOP;
END $$;

-- From nothing, every run: a privilege dropped from this file is revoked.
-- (Revoking a table's privileges revokes its column privileges too.)
REVOKE ALL ON ALL TABLES IN SCHEMA public
    FROM sb_ingest, sb_prompt, sb_response, sb_escalation, sb_console;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA public
    FROM sb_ingest, sb_prompt, sb_response, sb_escalation, sb_console;
-- Functions are executable by PUBLIC unless revoked; only audit_seal() is
-- called by a worker (trigger functions need no EXECUTE to fire). Ours
-- only: an extension's functions (pg_trgm's) belong to whoever installed
-- it, and the owner could not revoke on them.
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid FROM pg_proc p
             WHERE p.pronamespace = 'public'::regnamespace AND NOT EXISTS (
                 SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                 AND d.objid = p.oid AND d.deptype = 'e') LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC, sb_ingest, sb_prompt, '
                       'sb_response, sb_escalation, sb_console', f);
    END LOOP;
END $$;
-- PostgreSQL 15 no longer lets PUBLIC create in schema public; older ones do.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO sb_ingest, sb_prompt, sb_response, sb_escalation, sb_console;

-- sb-ingest: records alerts (and refusals), matched against the directory
-- and the ignore rules, and its per-partition progress.
GRANT SELECT, INSERT ON alerts TO sb_ingest;
GRANT INSERT ON dead_letters TO sb_ingest;
GRANT SELECT, INSERT ON ingest_progress TO sb_ingest;
GRANT UPDATE (next_offset, updated_at) ON ingest_progress TO sb_ingest;
GRANT SELECT (id, opted_out) ON employees TO sb_ingest;
GRANT SELECT ON employee_identities, ignore_rules TO sb_ingest;
-- an alert it decides without the employee (confirmed_recently, issue 16)
-- is audited in the same statement
GRANT INSERT ON audit_log TO sb_ingest;
-- moves queued titles into the console's search table (migration 0018);
-- the queue itself is filled by a trigger that runs as the owner
GRANT EXECUTE ON FUNCTION alert_titles_index(int) TO sb_ingest;

-- sb-prompt: claims queued alerts, records the message sent, learns an
-- employee's chat user id.
-- Holds alerts for working hours (ask_at) and learns an employee's time zone.
GRANT SELECT ON alerts TO sb_prompt;
GRANT UPDATE (status, status_reason, version, updated_at, prompted_at, chat_channel, chat_ts,
              prompt_attempts, prompt_retry_at, ask_at, group_id, group_shown, group_shown_at)
    ON alerts TO sb_prompt;
GRANT SELECT (id, username, email, chat_platform, chat_user_id, opted_out, timezone,
              timezone_source, working_hours, timezone_looked_up_at) ON employees
    TO sb_prompt;
GRANT UPDATE (chat_user_id, updated_at, timezone, timezone_source, timezone_looked_up_at)
    ON employees TO sb_prompt;
GRANT INSERT ON audit_log TO sb_prompt;

-- sb-response: answers, second factors (TOTP, Duo), the guarded changes.
GRANT SELECT ON alerts TO sb_response;
GRANT UPDATE (status, status_reason, answer, answered_at, comment, second_factor,
              second_factor_method, code_failures, outcome, decided_at, outcome_due_at,
              version, updated_at) ON alerts TO sb_response;
GRANT SELECT ON employees TO sb_response;
GRANT UPDATE (totp_last_step, opted_out, updated_at) ON employees TO sb_response;
GRANT SELECT, INSERT ON responses TO sb_response;
GRANT SELECT, INSERT ON guarded_changes TO sb_response;
GRANT UPDATE (status, status_reason, code_failures, second_factor, second_factor_method,
              decided_at) ON guarded_changes TO sb_response;
GRANT SELECT, INSERT, DELETE ON duo_pushes TO sb_response;
GRANT UPDATE (stage, txid, passcode_enc, pushes, failures, unavailable_since, next_at,
              lease_owner, lease_until, updated_at) ON duo_pushes TO sb_response;
GRANT INSERT ON ignore_rules TO sb_response;
GRANT SELECT, INSERT ON second_factor_failures TO sb_response;
GRANT SELECT, INSERT ON audit_log TO sb_response;

-- sb-escalation: escalations and their delivery, the timers, the digest,
-- and sealing the audit chain (audit_seal() runs as the owner).
GRANT SELECT ON alerts TO sb_escalation;
GRANT UPDATE (status, status_reason, outcome, decided_at, reminded_at, version, updated_at,
              remind_due_at, escalate_due_at)
    ON alerts TO sb_escalation;
GRANT SELECT (id, username, email, timezone, working_hours) ON employees TO sb_escalation;
GRANT SELECT, INSERT ON escalations TO sb_escalation;
GRANT UPDATE (reported_at, paged_at, delivered_at, deliver_attempts, deliver_retry_at,
              last_error) ON escalations TO sb_escalation;
GRANT SELECT, INSERT ON digests TO sb_escalation;
GRANT SELECT ON audit_chain_head TO sb_escalation;
GRANT INSERT ON audit_log TO sb_escalation;
GRANT EXECUTE ON FUNCTION audit_seal(int) TO sb_escalation;

-- sb-console: the security team's view and actions, and its own users,
-- sessions and tokens (which sbctl creates).
GRANT SELECT ON alerts, employees, employee_identities, escalations, dead_letters TO sb_console;
-- the title search: the indexed titles and those still queued (0018)
GRANT SELECT ON alert_titles, alert_title_queue TO sb_console;
GRANT UPDATE (opted_out, totp_secret_enc, totp_last_step, updated_at) ON employees TO sb_console;
GRANT UPDATE (acknowledged_by, acknowledged_at, resolved_by, resolved_at, verdict,
              resolution_note) ON escalations TO sb_console;
GRANT UPDATE (replayed_at) ON dead_letters TO sb_console;
GRANT SELECT, INSERT, DELETE ON ignore_rules TO sb_console;
GRANT SELECT, INSERT ON audit_log TO sb_console;
GRANT SELECT ON console_users, console_tokens TO sb_console;
GRANT UPDATE (locked_until, updated_at) ON console_users TO sb_console;
GRANT UPDATE (last_used_at) ON console_tokens TO sb_console;
GRANT SELECT, INSERT, DELETE ON console_sessions, console_login_failures TO sb_console;
GRANT UPDATE (last_seen_at) ON console_sessions TO sb_console;
