-- Idempotency-Key on every POST that creates something (DESIGN.md, HTTP): the first
-- answer is stored in the same transaction as the effect, so a retry with the same key
-- and body gets it back and nothing is created twice, whatever failed in between.
-- The answer and the fingerprint are encrypted with the service's key when it has one:
-- an answer may carry personal data (a shelter's address to its coordinator), and a bare
-- hash of a body holding a name is reversed by trying names.
CREATE TABLE idempotency_keys (
    id uuid NOT NULL UNIQUE,        -- binds the ciphertexts to their row (shared/ciphertexts.py)
    operation text NOT NULL,        -- the route's operation id
    actor text NOT NULL,            -- the caller's subject: one person's key is not another's
    key text NOT NULL,
    fingerprint bytea NOT NULL,     -- sha-256 of the path parameters and the body
    answer bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (operation, actor, key)
);
CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);
