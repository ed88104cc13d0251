-- What the committee reads to decide an application opened from an assessment, and
-- nothing personal: the level, the measures recommended and how many people travel
-- (never names, places or ages). One opened by hand has none. Kept beside the
-- application so the applications table and its writers stay as they are.
CREATE TABLE application_context (
    application_id uuid PRIMARY KEY REFERENCES applications (id),
    level text NOT NULL CHECK (level IN ('low', 'medium', 'high', 'extreme')),
    measures text[] NOT NULL,
    party_size integer NOT NULL CHECK (party_size BETWEEN 1 AND 100)
);
