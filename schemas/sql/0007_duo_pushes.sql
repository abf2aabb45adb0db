-- 0007_duo_pushes: Duo pushes in flight, one per alert awaiting an employee
-- on Duo (issue 11). sb-response's Duo threads take a row by lease (the
-- claim is SELECT ... FOR UPDATE SKIP LOCKED, the lease an expiry time),
-- so exactly one replica talks to Duo about a txid at a time, and a
-- crashed replica's row is taken over once its lease runs out.
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.
CREATE TABLE duo_pushes (
    alert_id          text COLLATE "C" PRIMARY KEY REFERENCES alerts (id),
    employee_id       bigint NOT NULL,
    duo_username      text NOT NULL,
    -- preauth: ask Duo about the user; push: send one; status: poll txid;
    -- waiting: a push timed out, the employee may reply "push" or a
    -- passcode; passcode: one to check with Duo
    stage             text NOT NULL
        CHECK (stage IN ('preauth', 'push', 'status', 'waiting', 'passcode')),
    txid              text,
    -- the passcode to check, sealed with SECURITYBOT_SECRET_KEY_FILE's key
    -- (bound to the employee id); cleared once Duo has answered
    passcode_enc      bytea,
    pushes            integer NOT NULL DEFAULT 0,
    -- Duo unavailable: consecutive failures (for the backoff), since when
    failures          integer NOT NULL DEFAULT 0,
    unavailable_since timestamptz,
    next_at           timestamptz NOT NULL DEFAULT now(),
    lease_owner       text,
    lease_until       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX duo_pushes_due ON duo_pushes (next_at) WHERE stage <> 'waiting';
CREATE INDEX duo_pushes_employee ON duo_pushes (employee_id);
