-- The relay is woken by its own process's pool when a connection that wrote events comes
-- back (shared/db.py, Pool.release; shared/outbox.py), no longer by a NOTIFY from the
-- database: a notifying transaction holds a database-wide lock from its commit through
-- the WAL flush, so writers committed one at a time, and 0006's advisory locks that
-- avoided it under load cost every writer a PL/pgSQL call and two lock tries.
DROP TRIGGER IF EXISTS outbox_notify ON outbox;
DROP FUNCTION IF EXISTS outbox_notify();
