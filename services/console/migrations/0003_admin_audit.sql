-- What admins did in the console (who, what, to what, when): accounts created, their
-- roles and countries changed, disabled or enabled, second factors reset; dead letters
-- replayed or discarded (with the reason). Append-only, like risk's audit log.
CREATE TABLE admin_audit (
    id      bigserial PRIMARY KEY,
    at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor   text NOT NULL,
    action  text NOT NULL,
    -- an account's email, or a dead letter as "<service>:<seq>"
    target  text,
    -- a discard's reason; what was set (roles and countries)
    detail  text
);
CREATE INDEX admin_audit_at ON admin_audit (at DESC, id DESC);

CREATE FUNCTION admin_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the admin audit log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER admin_audit_no_update_delete BEFORE UPDATE OR DELETE ON admin_audit
    FOR EACH ROW EXECUTE FUNCTION admin_audit_append_only();
CREATE TRIGGER admin_audit_no_truncate BEFORE TRUNCATE ON admin_audit
    FOR EACH STATEMENT EXECUTE FUNCTION admin_audit_append_only();
