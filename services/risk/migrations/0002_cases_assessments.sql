-- Cases: one defender at risk and the party that travels with her.
-- Personal data lives only in `personal` (AES-GCM, associated data = the case id).
CREATE TABLE cases (
    id uuid PRIMARY KEY,
    country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    region text NOT NULL,
    line_of_defence text NOT NULL,
    party jsonb NOT NULL,
    personal bytea NOT NULL,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    -- The final level of the latest assessment (NULL until the first one).
    level text CHECK (level IN ('low', 'medium', 'high', 'extreme')),
    last_assessment_id uuid,
    last_assessed_at timestamptz,
    opened_by text NOT NULL,
    opened_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    closed_at timestamptz,
    close_reason text,
    CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
CREATE INDEX cases_country_status ON cases (country, status, opened_at DESC);

-- Assessments are immutable: a new one supersedes the previous (at most one successor each,
-- so two analysts racing to supersede the same one cannot fork the history).
CREATE TABLE assessments (
    id uuid PRIMARY KEY,
    case_id uuid NOT NULL REFERENCES cases (id),
    instrument_version text NOT NULL,
    answers jsonb NOT NULL,
    scores jsonb NOT NULL,
    computed_level text NOT NULL CHECK (computed_level IN ('low', 'medium', 'high', 'extreme')),
    level text NOT NULL CHECK (level IN ('low', 'medium', 'high', 'extreme')),
    overridden boolean NOT NULL,
    measures text[] NOT NULL,
    party jsonb NOT NULL,
    excluded_regions text[] NOT NULL,
    -- notes and the override reason: free text that may name people (associated data = assessment id)
    private bytea NOT NULL,
    supersedes uuid UNIQUE REFERENCES assessments (id),
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX assessments_case ON assessments (case_id, recorded_at DESC);

CREATE FUNCTION assessments_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'assessments are immutable; record a new one that supersedes it'
        USING ERRCODE = 'check_violation';
END $$;
CREATE TRIGGER assessments_no_update BEFORE UPDATE OR DELETE ON assessments
    FOR EACH ROW EXECUTE FUNCTION assessments_immutable();

-- Who read which defender's personal data, and when.
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor text NOT NULL,
    action text NOT NULL,
    case_id uuid,
    object_id uuid
);
CREATE INDEX audit_log_case ON audit_log (case_id, at DESC);

-- Every step of a case across the three services, fed by risk's own changes (same
-- transaction) and by the shelters and funds events it consumes.
CREATE TABLE timeline (
    seq bigserial,
    case_id uuid NOT NULL,
    step_id uuid NOT NULL,
    type text NOT NULL,
    occurred_at timestamptz NOT NULL,
    service text NOT NULL,
    summary text NOT NULL,
    PRIMARY KEY (case_id, step_id)
);
CREATE INDEX timeline_case_time ON timeline (case_id, occurred_at, seq);

-- Reasons a case needs a new assessment; a mark counts while it is newer than the case's
-- latest assessment, so recording an assessment clears it without touching the marks.
CREATE TABLE reassessment_marks (
    id bigserial PRIMARY KEY,
    case_id uuid NOT NULL REFERENCES cases (id),
    reason text NOT NULL CHECK (reason IN ('placement_ended', 'shelter_compromised', 'new_incident')),
    source_id uuid NOT NULL,
    marked_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (case_id, source_id)
);
CREATE INDEX reassessment_marks_case ON reassessment_marks (case_id, marked_at DESC);

-- The registry of attacks (no names: counts are what a regional report is made of).
CREATE TABLE incidents (
    id uuid PRIMARY KEY,
    occurred_on date NOT NULL,
    country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    region text NOT NULL,
    scope text NOT NULL CHECK (scope IN ('individual', 'collective')),
    aggression_types text[] NOT NULL CHECK (cardinality(aggression_types) > 0),
    perpetrator_types text[] NOT NULL CHECK (cardinality(perpetrator_types) > 0),
    gender_components boolean NOT NULL,
    gender_component_types text[] NOT NULL,
    close_people_attacked boolean NOT NULL,
    case_id uuid REFERENCES cases (id),
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX incidents_country_date ON incidents (country, occurred_on);
