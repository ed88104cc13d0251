-- The console's people and their sessions. Passwords are argon2 hashes; TOTP secrets
-- are the only secret kept per person (needed to check the code).
CREATE TABLE accounts (
    id             uuid PRIMARY KEY,
    email          text NOT NULL,
    name           text NOT NULL,
    roles          text[] NOT NULL DEFAULT '{}',
    countries      text[] NOT NULL DEFAULT '{}',
    language       text NOT NULL DEFAULT 'es' CHECK (language IN ('es', 'en')),
    password_hash  text NOT NULL,
    -- A password set by an admin or `amparo users add` must be changed at first sign-in.
    must_change_password boolean NOT NULL DEFAULT true,
    totp_secret    text,
    totp_enrolled  boolean NOT NULL DEFAULT false,
    -- The last accepted TOTP time step: a code is never accepted twice.
    totp_last_step bigint NOT NULL DEFAULT 0,
    disabled       boolean NOT NULL DEFAULT false,
    failed_attempts integer NOT NULL DEFAULT 0,
    locked_until   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_sign_in_at timestamptz
);
CREATE UNIQUE INDEX accounts_email ON accounts (lower(email));

-- Server-side sessions: the cookie holds only the random id, the table its SHA-256.
CREATE TABLE sessions (
    id_hash        bytea PRIMARY KEY,
    account_id     uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    -- 'password' = first factor passed, second factor (or enrolment) pending.
    stage          text NOT NULL CHECK (stage IN ('password', 'signed_in')),
    csrf_token     text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_account ON sessions (account_id);
