-- 0016_working_hours: working hours in the employee's time zone (issue 16,
-- section 3): an employee's zone and hours, the alerts held until the
-- employee's next working period, and the working-time timers.
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.

-- timezone: an IANA name, from the directory (sbctl employees import's
-- timezone column) or learned from the chat profile (Slack users.info
-- `tz`); NULL: SECURITYBOT_DEFAULT_TIMEZONE. working_hours: the directory's
-- override of SECURITYBOT_WORKING_HOURS. timezone_looked_up_at: when
-- sb-prompt asked the chat platform, so it asks once.
ALTER TABLE employees
    ADD COLUMN timezone              text,
    ADD COLUMN timezone_source       text CHECK (timezone_source IN ('directory', 'chat')),
    ADD COLUMN working_hours         text,
    ADD COLUMN timezone_looked_up_at timestamptz;

-- ask_at: a queued alert held for the employee's working hours is not
-- asked before it (sb-prompt sets it; it stays as the record of the hold).
-- remind_due_at, escalate_due_at: sb-escalation's working-time timers of an
-- off-hours-eligible alert, computed once when its conversation opens.
ALTER TABLE alerts
    ADD COLUMN ask_at          timestamptz,
    ADD COLUMN remind_due_at   timestamptz,
    ADD COLUMN escalate_due_at timestamptz;

-- `sbctl alerts list --held` and the sweep's "is any hold over": only held
-- alerts enter it.
CREATE INDEX alerts_held ON alerts (ask_at) WHERE status = 'queued' AND ask_at IS NOT NULL;
