-- Consent per purpose (issue #14): what a defender agreed to share, from a day, maybe
-- until a day (inclusive), revocable. Rows are history: a revocation stamps its row, a
-- new consent for the same purpose is a new row (the service allows one current at a time).
CREATE TABLE consents (
    id uuid PRIMARY KEY,
    case_id uuid NOT NULL REFERENCES cases (id),
    purpose text NOT NULL CHECK (purpose IN ('shelters', 'funds', 'statistics', 'contact')),
    given_at date NOT NULL,
    until date,
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    event_id uuid NOT NULL UNIQUE,
    revoked_at timestamptz,
    revoked_by text,
    revocation_event_id uuid UNIQUE,
    CHECK (until IS NULL OR until >= given_at),
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL) AND (revoked_at IS NULL) = (revocation_event_id IS NULL))
);
CREATE INDEX consents_case ON consents (case_id, purpose, recorded_at DESC);

-- The purposes her consents covered when an assessment was recorded (NULL: recorded
-- before consents were kept): what shelters and funds were allowed to act on.
ALTER TABLE assessments ADD COLUMN shared_with text[];
