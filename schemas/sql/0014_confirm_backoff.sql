-- 0014_confirm_backoff: no repeated question after a confirmation
-- (SECURITYBOT_CONFIRM_BACKOFF, issue 16): sb-ingest records a later alert
-- of the same employee, rule and title within the period as
-- `confirmed_recently`, naming the confirmation it leans on.
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.

-- The alert whose confirmation (with a passed second factor) made this one
-- need no question; NULL for every other alert.
ALTER TABLE alerts ADD COLUMN recent_confirmation text COLLATE "C";

-- sb-ingest's lookup of the latest such confirmation. Partial: only
-- confirmed alerts enter it, when sb-response decides them, so recording
-- an alert pays nothing for it.
CREATE INDEX alerts_confirmations ON alerts (employee_id, rule, decided_at)
    WHERE outcome = 'confirmed' AND second_factor = 'passed';
