-- 0010_console_alert_indexes: the indexes behind sb-console's alerts page
-- (GET /api/v1/alerts: newest first, one statement per set of filters),
-- measured with bench/console over 1,000,000 alerts (bench/README.md).
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.

-- Newest first, the cursor, and the since/until window: one ordered scan.
CREATE INDEX alerts_received_id ON alerts (received_at, id);
-- By rule, newest first.
CREATE INDEX alerts_rule_received ON alerts (rule, received_at);
-- By employee: the user as the detector wrote it (alerts of people not in
-- the directory), beside the employee the alert was matched to.
CREATE INDEX alerts_username_lower ON alerts (lower(username));
CREATE INDEX alerts_employee_received ON alerts (employee_id, received_at);
