-- A case that became due for a new assessment is announced once (ReassessmentDue) per
-- moment it became due: a new mark after a newer assessment is a new moment.
CREATE TABLE reassessment_announcements (
    case_id uuid NOT NULL REFERENCES cases (id),
    due_since timestamptz NOT NULL,
    announced_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (case_id, due_since)
);
