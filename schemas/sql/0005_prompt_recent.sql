-- 0005_prompt_recent: sb-prompt's "was this employee prompted in the last
-- hour" (the "One more thing" wording) had no usable index and grew with
-- the table (0.45 ms per prompt at 50,000 past alerts).
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.
CREATE INDEX alerts_sent_by_employee ON alerts (employee_id, prompted_at)
    WHERE chat_ts IS NOT NULL;
