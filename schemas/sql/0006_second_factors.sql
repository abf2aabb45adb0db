-- 0006_second_factors: each employee's one second factor (totp, duo or
-- none) and the method that secured (or failed) an answer (issue 11).
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.

-- An employee on Duo has a Duo username; on TOTP a sealed secret; never
-- both. The factor is derived from them, so it can never disagree with
-- what is stored (and rows written before this migration need no update).
ALTER TABLE employees
    ADD COLUMN duo_username text
        CONSTRAINT employees_duo_username_len
        CHECK (duo_username IS NULL OR length(duo_username) BETWEEN 1 AND 320),
    ADD CONSTRAINT employees_one_second_factor
        CHECK (duo_username IS NULL OR totp_secret_enc IS NULL),
    ADD COLUMN second_factor text GENERATED ALWAYS AS (
        CASE WHEN duo_username IS NOT NULL THEN 'duo'
             WHEN totp_secret_enc IS NOT NULL THEN 'totp'
             ELSE 'none' END) STORED;

-- reused: a recent pass reused; bypassed: Duo's preauth said allow;
-- locked: refused unchecked, too many failures for the employee.
ALTER TABLE alerts
    DROP CONSTRAINT alerts_second_factor_check,
    ADD CONSTRAINT alerts_second_factor_check CHECK (second_factor IN
        ('passed', 'failed', 'not_enrolled', 'not_attempted', 'reused', 'bypassed', 'locked')),
    -- NULL on rows answered before this migration: read as totp when a
    -- code was checked, else none (sb_message_factor_method)
    ADD COLUMN second_factor_method text CHECK (second_factor_method IN
        ('totp', 'duo_push', 'duo_passcode', 'reused', 'none'));
