-- 0004_escalation: sb-escalation's bookkeeping: where each escalation has
-- been delivered, the timers' index, and the digests already posted.
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.

-- An escalation row is written (and published on the escalations topic)
-- in one transaction; the report to the security channel and the page go
-- out after COMMIT and are marked here, so a crash in between is retried
-- by the sweep rather than lost. delivered_at: nothing left to send.
ALTER TABLE escalations
    ADD COLUMN employee_id      bigint,
    ADD COLUMN severity         text,
    ADD COLUMN reported_at      timestamptz,
    ADD COLUMN paged_at         timestamptz,
    ADD COLUMN delivered_at     timestamptz,
    ADD COLUMN deliver_attempts integer NOT NULL DEFAULT 0,
    ADD COLUMN deliver_retry_at timestamptz,
    ADD COLUMN last_error       text;
CREATE INDEX escalations_undelivered ON escalations (raised_at) WHERE delivered_at IS NULL;

-- The timers scan open conversations by age: only prompted and
-- awaiting_code rows enter this index.
CREATE INDEX alerts_open_by_age ON alerts (prompted_at)
    WHERE status IN ('prompted', 'awaiting_code');

-- One digest per period, whichever replica gets there first.
CREATE TABLE digests (
    period_start timestamptz PRIMARY KEY,
    period_end   timestamptz NOT NULL,
    posted_by    text NOT NULL,
    posted_at    timestamptz NOT NULL DEFAULT now()
);
