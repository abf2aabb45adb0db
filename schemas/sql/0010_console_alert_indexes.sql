-- 0010_console_alert_indexes: the indexes behind sb-console's alerts page
-- (GET /api/v1/alerts: newest first, one statement per set of filters),
-- measured with bench/console over 1,000,000 alerts and their cost to
-- sb-ingest with bench/ingest (bench/README.md). Narrow on purpose: every
-- alert sb-ingest records pays for each of them.
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.

-- Newest first, the cursor and the since/until window (ties on the time
-- are ordered by id in memory: an incremental sort of a handful of rows).
CREATE INDEX alerts_received ON alerts (received_at);
-- By rule, newest first.
CREATE INDEX alerts_rule_received ON alerts (rule, received_at);
-- By employee: the alerts matched to the directory's user...
CREATE INDEX alerts_employee_received ON alerts (employee_id, received_at);
-- ...and those of a user the directory does not know, by the name the
-- detector wrote (few rows: most alerts are matched).
CREATE INDEX alerts_unmatched_username ON alerts (lower(username)) WHERE employee_id IS NULL;
