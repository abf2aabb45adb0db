-- 0008_console: who may use sb-console (the security team, not employees):
-- users with an Argon2id password hash, their sessions and failed logins,
-- and API tokens. No secret is stored: a session or token is kept only as
-- the SHA-256 of its value, a password only as its Argon2id hash.
-- Applied by `sbctl migrate` in one transaction and recorded in schema_migrations.

CREATE TABLE console_users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$'),
    role          text NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
    password_hash text,                     -- NULL: single sign-on only
    disabled      boolean NOT NULL DEFAULT false,
    locked_until  timestamptz,              -- set after too many failed logins
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX console_users_name_key ON console_users (lower(name));

-- One row per login; the cookie holds the token, this row its SHA-256.
-- expires_at is the absolute expiry; last_seen_at drives the idle one.
CREATE TABLE console_sessions (
    token_hash   text COLLATE "C" PRIMARY KEY CHECK (length(token_hash) = 64),
    user_id      bigint NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    csrf_token   text NOT NULL,             -- useless without the cookie
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);

-- Failed logins, counted per user over the lockout window.
CREATE TABLE console_login_failures (
    user_id bigint NOT NULL REFERENCES console_users (id) ON DELETE CASCADE,
    at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX console_login_failures_user_at ON console_login_failures (user_id, at);

CREATE TABLE console_tokens (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         text NOT NULL CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$'),
    role         text NOT NULL CHECK (role IN ('viewer', 'responder', 'admin')),
    token_hash   text COLLATE "C" NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);
CREATE UNIQUE INDEX console_tokens_name_key ON console_tokens (lower(name)) WHERE revoked_at IS NULL;

-- The security team's work on an escalation (sb-console): who took it,
-- and the verdict it came to. Resolved once: a second resolve is refused.
ALTER TABLE escalations
    ADD COLUMN acknowledged_by text,
    ADD COLUMN acknowledged_at timestamptz,
    ADD COLUMN resolved_by     text,
    ADD COLUMN resolved_at     timestamptz,
    ADD COLUMN verdict         text CHECK (verdict IN ('benign', 'true_positive', 'false_positive', 'duplicate')),
    ADD COLUMN resolution_note text;
