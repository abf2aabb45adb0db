-- 0001_init: the directory, alerts and their conversation, and the audit trail.
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.
-- Idempotency lives in unique keys here (ON CONFLICT), never in checks in code.

CREATE TABLE employees (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username        text NOT NULL,
    email           text,
    aliases         text[] NOT NULL DEFAULT '{}',
    chat_platform   text NOT NULL DEFAULT 'slack',
    chat_user_id    text,
    opted_out       boolean NOT NULL DEFAULT false,
    -- second factor (issue: conversation): AES-GCM-encrypted TOTP secret and
    -- the last accepted 30 s step, so no code is accepted twice.
    totp_secret_enc bytea,
    totp_last_step  bigint,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT employees_username_len CHECK (length(username) BETWEEN 1 AND 320)
);
CREATE UNIQUE INDEX employees_username_key ON employees (lower(username));
CREATE UNIQUE INDEX employees_chat_user_key ON employees (chat_platform, chat_user_id)
    WHERE chat_user_id IS NOT NULL;

-- Every name an alert may use for an employee (username, e-mail, aliases),
-- lower-cased. One name maps to one employee: the primary key refuses
-- ambiguity at import time instead of guessing at alert time.
CREATE TABLE employee_identities (
    identity    text COLLATE "C" PRIMARY KEY,
    employee_id bigint NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN ('username', 'email', 'alias'))
);
CREATE INDEX employee_identities_employee ON employee_identities (employee_id);

CREATE TABLE alerts (
    -- a lowercase hex SHA-256 computed by sb-ingest; only the length is
    -- checked here (a regex per row costs more than the rest of the insert)
    -- (COLLATE "C": compared bytewise, never through the locale)
    id              text COLLATE "C" PRIMARY KEY CHECK (length(id) = 64),
    source          text NOT NULL,
    rule            text NOT NULL,
    title           text NOT NULL,
    username        text NOT NULL,          -- `user` as the detector sent it
    detector_id     text,                   -- the detector's own `id`
    description     text,
    severity        text NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    url             text,
    details         jsonb,
    occurred_at     timestamptz NOT NULL,
    -- the alert exactly as received (json keeps the text: key order, unknown
    -- fields, number spellings), for the escalation and the audit
    raw             json NOT NULL,
    -- No foreign key: the per-row RI trigger cost as much as the rest of
    -- the insert; the id always comes from employee_identities in the same
    -- statement, and employees are never deleted (they opt out instead).
    employee_id     bigint,
    -- queued: waiting for its prompt; prompted; awaiting_code; confirmed;
    -- confirmed_unverified; denied; escalation_requested; escalated;
    -- suppressed; expired. Later stages move it on, guarded by version.
    status          text NOT NULL,
    status_reason   text,                   -- e.g. unknown_employee, opted_out, ignore rule
    version         integer NOT NULL DEFAULT 1,
    -- first Kafka position seen, for tracing a row back to its message
    src_topic       text NOT NULL,
    src_partition   integer NOT NULL,
    src_offset      bigint NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    -- the conversation (later stages)
    prompted_at     timestamptz,
    chat_channel    text,
    chat_ts         text,
    answered_at     timestamptz,
    answer          text CHECK (answer IN ('confirm', 'deny')),
    comment         text,
    second_factor   text CHECK (second_factor IN ('passed', 'failed', 'not_enrolled', 'not_attempted')),
    code_failures   integer NOT NULL DEFAULT 0,
    reminded_at     timestamptz,
    outcome         text,
    decided_at      timestamptz,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
-- status first: "every queued alert" (sb-prompt's sweep) is a range of it,
-- and "this employee's alerts in this state" an exact match.
CREATE INDEX alerts_status_employee ON alerts (status, employee_id);
-- BRIN: rows arrive in received_at order, and a BRIN index costs next to
-- nothing per insert, where a btree adds a page update to every row.
CREATE INDEX alerts_received_at ON alerts USING brin (received_at);

-- How far sb-ingest's downstream messages are known to be in Kafka, per
-- input partition: every alert created by a message below next_offset has
-- had its prompt request (or escalation request, or outcome) acknowledged.
-- A redelivered message at or above it re-sends its alert's message (same
-- message_id); below it, nothing. One row per partition, updated once per
-- batch, so the marker costs nothing per alert.
CREATE TABLE ingest_progress (
    topic       text NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (topic, partition)
);

CREATE TABLE ignore_rules (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    employee_id bigint NOT NULL REFERENCES employees (id) ON DELETE CASCADE,
    rule        text NOT NULL,              -- a rule id, or '*' for every rule
    until       timestamptz NOT NULL,
    reason      text,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ignore_rules_lookup ON ignore_rules (employee_id, rule, until);

-- Every answer received (deduplicated on the platform's event id).
CREATE TABLE responses (
    event_id     text PRIMARY KEY,
    platform     text NOT NULL,
    chat_user_id text NOT NULL,
    alert_id     text REFERENCES alerts (id),
    kind         text NOT NULL CHECK (kind IN ('confirm', 'deny', 'text')),
    text         text,
    received_at  timestamptz NOT NULL,
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

-- At most one escalation per alert, ever: the primary key is the guarantee.
CREATE TABLE escalations (
    alert_id    text PRIMARY KEY REFERENCES alerts (id),
    reason      text NOT NULL,
    priority    text NOT NULL DEFAULT 'normal',
    comment     text,
    raised_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);

-- Dead letters are also kept here, so operators can list and replay them
-- without scanning the topic.
CREATE TABLE dead_letters (
    src_topic     text NOT NULL,
    src_partition integer NOT NULL,
    src_offset    bigint NOT NULL,
    reason        text NOT NULL,
    detail        text NOT NULL,
    original      bytea NOT NULL,
    msg_key       bytea,
    rejected_by   text NOT NULL,
    rejected_at   timestamptz NOT NULL DEFAULT now(),
    replayed_at   timestamptz,
    PRIMARY KEY (src_topic, src_partition, src_offset)
);

-- Append-only: who did what to which alert or employee, and when. An
-- alert's creation is recorded by its own row (received_at, src_topic,
-- src_partition, src_offset); every change after that gets an entry here.
CREATE TABLE audit_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,              -- worker name, operator, or chat user
    action      text NOT NULL,
    alert_id    text,
    employee_id bigint,
    detail      jsonb
);
CREATE INDEX audit_log_alert ON audit_log (alert_id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
