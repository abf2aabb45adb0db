-- 0002_conversation: one open conversation per employee, and sb-prompt's retry bookkeeping.
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.

-- While an employee has an unanswered prompt, their other alerts wait
-- (queued): a second claim fails with 23505 instead of a check in code.
-- Partial, so an alert that ingest inserts (queued, escalation_requested,
-- suppressed) never enters it.
CREATE UNIQUE INDEX alerts_one_conversation ON alerts (employee_id)
    WHERE status IN ('prompted', 'awaiting_code');

-- A claimed alert whose send failed (the platform was away, or refused
-- the token) is tried again by the sweep after 1 s, 2 s, 4 s... up to 5 min.
-- Constant defaults: adding these columns rewrites nothing.
ALTER TABLE alerts
    ADD COLUMN prompt_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN prompt_retry_at timestamptz;

-- The sweep's "claimed but never sent": rows enter only when sb-prompt
-- claims an alert, so ingest never touches this index.
CREATE INDEX alerts_unsent_claims ON alerts (prompted_at)
    WHERE status = 'prompted' AND chat_ts IS NULL;
