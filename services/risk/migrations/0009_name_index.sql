-- Finding a case by the defender's name without decrypting every case: a keyed blind
-- index. Each distinct token of her normalised name is stored as HMAC-SHA256 under risk's
-- own blind index key (never the name, never an unkeyed hash). A migration cannot compute
-- an HMAC (it has no key): the service's backfill job indexes every case that has no row
-- in case_name_indexed under the current key id.
CREATE TABLE case_name_tokens (
    case_id uuid NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    token_hmac bytea NOT NULL,
    PRIMARY KEY (token_hmac, case_id)
);
CREATE INDEX case_name_tokens_case ON case_name_tokens (case_id);

-- Which key a case's tokens were made with; no row = not indexed yet (the job's work list).
CREATE TABLE case_name_indexed (
    case_id uuid PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    key_id text NOT NULL,
    indexed_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- Any change of the personal data (a new name, a re-encryption, blocking or erasure by
-- retention, 0008) drops the case's tokens at once, so the old name stops finding her, and
-- leaves the case to the backfill job, which indexes what the row holds now: blocked or
-- erased personal data is indexed as no tokens (a blocked case is not found by name).
-- No code path can forget to.
CREATE FUNCTION case_name_index_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM case_name_tokens WHERE case_id = NEW.id;
    DELETE FROM case_name_indexed WHERE case_id = NEW.id;
    RETURN NEW;
END $$;
CREATE TRIGGER cases_personal_changed AFTER UPDATE OF personal, personal_data ON cases
    FOR EACH ROW WHEN (OLD.personal IS DISTINCT FROM NEW.personal
                       OR OLD.personal_data IS DISTINCT FROM NEW.personal_data)
    EXECUTE FUNCTION case_name_index_forget();

-- A search is audited like a read: who, when and how many cases it found (never the query).
ALTER TABLE audit_log ADD COLUMN result_count integer;
