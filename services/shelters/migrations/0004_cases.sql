-- The cases shelters knows of, learned from risk's events (CaseOpened, AssessmentRecorded,
-- CaseClosed): a placement by hand is made only for a known, open case, by staff of its
-- country, and carries the case's country.
CREATE TABLE cases (
    id uuid PRIMARY KEY,
    country char(2) NOT NULL,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    -- The event type this service first learned the case from (or 'backfill').
    learned_from text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Cases met before this table existed: those placed by an assessment (whose country came
-- from risk; a placement by hand carried a country the caller typed, so it is not used).
INSERT INTO cases (id, country, status, learned_from)
SELECT case_id, min(country),
       CASE WHEN bool_or(end_reason = 'case_closed') THEN 'closed' ELSE 'open' END, 'backfill'
FROM placements WHERE source = 'assessment' GROUP BY case_id;

-- A new assessment that met a placement already holding beds: kept, and flagged here for
-- staff to review (cleared when staff change the placement's status).
ALTER TABLE placements ADD COLUMN review_reason text;
