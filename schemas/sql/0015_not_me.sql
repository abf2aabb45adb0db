-- 0015_not_me: "Not me, wrong person" (issue 16, section 4): an employee
-- says an alert is about someone else. sb-response records the answer
-- `not_me` (neither a confirmation nor a denial) and the outcome
-- `wrong_employee`; the gateway's button becomes a response of kind
-- `not_me`. Applied by `sbctl migrate` in one transaction and recorded in
-- schema_migrations.

ALTER TABLE alerts
    DROP CONSTRAINT alerts_answer_check,
    ADD CONSTRAINT alerts_answer_check CHECK (answer IN ('confirm', 'deny', 'not_me'));

ALTER TABLE responses
    DROP CONSTRAINT responses_kind_check,
    ADD CONSTRAINT responses_kind_check CHECK (kind IN ('confirm', 'deny', 'not_me', 'text'));
