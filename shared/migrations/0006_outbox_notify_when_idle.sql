-- A NOTIFY makes its transaction's commit take a database-wide lock held until the commit
-- is flushed (PostgreSQL's async.c), so writers that notify commit one after the other:
-- with 16 writers the outbox insert ran at a quarter of its rate (README, Benchmark).
-- Now a writer does not notify while a relay is at work, and that relay sees its rows
-- anyway (shared/outbox.py, OutboxRelay._go_to_work and _settle):
--   * a relay at work holds advisory lock (7261002, 1) exclusively, on its LISTEN session;
--   * a writer that holds (7261002, 2) shared for its transaction and cannot take
--     (7261002, 1) shared skips its NOTIFY;
--   * before it rests, the relay releases (7261002, 1), takes (7261002, 2) exclusively for
--     an instant (so every writer that skipped its NOTIFY has ended) and looks once more.
-- Writers never wait on these locks (try only). When no relay is at work, or one is about
-- to rest, every writer notifies, as before.
CREATE OR REPLACE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT pg_try_advisory_xact_lock_shared(7261002, 2) THEN
        PERFORM pg_notify('amparo_outbox', '');  -- a relay is settling: it may not look again
    ELSIF pg_try_advisory_xact_lock_shared(7261002, 1) THEN
        PERFORM pg_notify('amparo_outbox', '');  -- no relay at work
    END IF;
    RETURN NULL;
END $$;
