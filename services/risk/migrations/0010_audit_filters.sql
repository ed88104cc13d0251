-- The admin reads the audit log by time and by actor (GET /audit, the console's audit page):
-- newest first across all cases, and one person's reads.
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
CREATE INDEX audit_log_actor ON audit_log (actor, at DESC);
