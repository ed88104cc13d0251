-- The free beds of one shelter (placements store.free_beds, read under the shelter's lock
-- for every hold) are found through this shelter's active stays only. With the indexes
-- before, PostgreSQL read every active stay in the window, for every hold: the estimate
-- of stays overlapping "the next 30 days" comes from the last ANALYZE, which predates
-- them, so it is about 1 row and the planner took the whole window (12 ms per hold with
-- 14,000 active stays; 0.5 ms with this index).
CREATE INDEX bed_allocations_active_shelter ON bed_allocations USING gist (shelter_id, during) WHERE active;
-- That lookup relies on a stay naming its bed's own shelter: the database says so.
ALTER TABLE beds ADD CONSTRAINT beds_id_shelter UNIQUE (id, shelter_id);
ALTER TABLE bed_allocations ADD CONSTRAINT bed_allocations_bed_of_shelter
    FOREIGN KEY (bed_id, shelter_id) REFERENCES beds (id, shelter_id);
