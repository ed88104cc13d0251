-- The timeline is shown in causal order, not only by time: each step keeps the id of the
-- event that caused it (a relocation names the compromise), and an assessment keeps the
-- id of the event that announced it, so the one that supersedes it can name it as cause.
ALTER TABLE timeline ADD COLUMN causation_id uuid;
ALTER TABLE assessments ADD COLUMN event_id uuid UNIQUE;
