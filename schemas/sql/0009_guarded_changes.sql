-- 0009_guarded_changes: the changes an attacker would want (`ignore`,
-- `stop`, `start` from chat) wait for the employee's second factor, and
-- every failed second factor is counted per employee (issue 11, section 4).
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.

-- One change asked for in chat, waiting for its second factor (a code, or
-- a Duo push through duo_pushes), then applied, refused or expired. At
-- most one waits per employee: a new request replaces it.
CREATE TABLE guarded_changes (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    employee_id   bigint NOT NULL REFERENCES employees (id),
    kind          text NOT NULL CHECK (kind IN ('ignore', 'stop', 'start')),
    -- ignore: the rule muted, the alert it was taken from, for how long
    rule          text,
    alert_id      text COLLATE "C",
    ignore_ms     bigint,
    event_id      text NOT NULL,            -- the response event that asked for it
    status        text NOT NULL DEFAULT 'awaiting_factor'
        CHECK (status IN ('awaiting_factor', 'applied', 'refused', 'expired')),
    status_reason text,
    code_failures integer NOT NULL DEFAULT 0,
    second_factor text,
    second_factor_method text,
    expires_at    timestamptz NOT NULL,     -- a code is taken until then
    created_at    timestamptz NOT NULL DEFAULT now(),
    decided_at    timestamptz
);
CREATE UNIQUE INDEX guarded_changes_one_open ON guarded_changes (employee_id)
    WHERE status = 'awaiting_factor';

-- A Duo push is for an alert or for a change: the alert id stops being
-- the key.
ALTER TABLE duo_pushes DROP CONSTRAINT duo_pushes_pkey;
ALTER TABLE duo_pushes ALTER COLUMN alert_id DROP NOT NULL;
ALTER TABLE duo_pushes
    ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ADD COLUMN change_id bigint UNIQUE REFERENCES guarded_changes (id),
    ADD CONSTRAINT duo_pushes_one_subject CHECK ((alert_id IS NULL) <> (change_id IS NULL));
CREATE UNIQUE INDEX duo_pushes_alert ON duo_pushes (alert_id);

-- Every failed second factor of an employee (a wrong code or passcode, a
-- denied push, a push reported as fraud), for SECURITYBOT_2FA_MAX_FAILURES
-- per hour.
CREATE TABLE second_factor_failures (
    employee_id bigint NOT NULL,
    failed_at   timestamptz NOT NULL DEFAULT now(),
    what        text NOT NULL,              -- totp, duo_push, duo_passcode
    alert_id    text COLLATE "C",           -- or NULL for a change
    change_id   bigint
);
CREATE INDEX second_factor_failures_recent ON second_factor_failures (employee_id, failed_at);

-- SECURITYBOT_TEST_PER_HOUR: an employee's test alerts of the past hour,
-- counted without reading the rest of the audit log.
CREATE INDEX audit_log_test_requests ON audit_log (employee_id, at)
    WHERE action = 'test_alert_requested';
