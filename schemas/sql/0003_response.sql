-- 0003_response: sb-response's bookkeeping: outcomes that wait for an
-- employee's follow-up comment, and the lookup of an answer's sender.
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.

-- When a terminal alert's outcome is still to be published: set with the
-- outcome, cleared in the transaction that publishes it. A button "no"
-- leaves a short window for the employee's explanation, so its outcome is
-- due at the end of that window (or as soon as the comment comes). The
-- sweep publishes whatever is due; a crash between publish and COMMIT
-- repeats the outcome with the same message_id.
ALTER TABLE alerts ADD COLUMN outcome_due_at timestamptz;
CREATE INDEX alerts_outcome_due ON alerts (outcome_due_at) WHERE outcome_due_at IS NOT NULL;

-- Answers arrive as (platform, chat user id); a deployment runs one chat
-- platform, so sb-response looks the sender up by chat user id alone.
CREATE INDEX employees_chat_user ON employees (chat_user_id) WHERE chat_user_id IS NOT NULL;
