-- Found by the benchmark with 1,000,000 past placements: a placement's beds are read for
-- ended stays too (active OR ended), which the partial index could not serve, so every
-- placement read scanned the whole allocation history. A full index serves both.
DROP INDEX bed_allocations_placement;
CREATE INDEX bed_allocations_by_placement ON bed_allocations (placement_id);
-- The placements list, newest first, without sorting the history.
CREATE INDEX placements_recent ON placements (requested_at DESC, id);
