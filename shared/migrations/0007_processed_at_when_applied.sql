-- processed_at is when the event was applied, not when its transaction began: a replica's
-- transaction may begin before another's and still apply a case's next event after it
-- (the case's progress row is locked in between), and now() would then say the opposite.
ALTER TABLE processed_events ALTER COLUMN processed_at SET DEFAULT clock_timestamp();
