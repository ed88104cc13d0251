-- Retention of personal data (issue 14): a closed case's personal data is blocked, then
-- erased. Erasing deletes the ciphertexts; the pseudonymous history (levels, steps, the
-- registry of attacks) stays, so statistics do not change.
ALTER TABLE cases ALTER COLUMN personal DROP NOT NULL;
ALTER TABLE cases
    ADD COLUMN personal_data text NOT NULL DEFAULT 'active'
        CHECK (personal_data IN ('active', 'blocked', 'erased')),
    ADD COLUMN personal_data_blocked_at timestamptz,
    ADD COLUMN personal_data_erased_at timestamptz,
    -- Why it was erased: 'retention_period' or the code of an erasure request.
    ADD COLUMN personal_data_erasure_reason text;
ALTER TABLE cases ADD CONSTRAINT cases_personal_data_states CHECK (
    (personal_data = 'active' AND personal IS NOT NULL AND personal_data_blocked_at IS NULL
        AND personal_data_erased_at IS NULL)
    OR (personal_data = 'blocked' AND personal IS NOT NULL AND personal_data_blocked_at IS NOT NULL
        AND personal_data_erased_at IS NULL AND status = 'closed')
    OR (personal_data = 'erased' AND personal IS NULL AND personal_data_erased_at IS NOT NULL
        AND personal_data_erasure_reason IS NOT NULL AND status = 'closed')
);
-- What a retention run looks at: closed cases whose data is not erased yet.
CREATE INDEX cases_retention ON cases (closed_at) WHERE status = 'closed' AND personal_data <> 'erased';

-- Why an admin read blocked data (a code), next to who and when.
ALTER TABLE audit_log ADD COLUMN reason text;

-- Assessments never change, except that `amparo keys reencrypt` may move the private notes
-- to a new key, and erasure may delete them: every other column untouched either way.
ALTER TABLE assessments ALTER COLUMN private DROP NOT NULL;
CREATE OR REPLACE FUNCTION assessments_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND (to_jsonb(NEW) - 'private') = (to_jsonb(OLD) - 'private')
       AND ((current_setting('amparo.reencrypt', true) = 'on' AND NEW.private IS NOT NULL)
            OR (current_setting('amparo.erase', true) = 'on' AND NEW.private IS NULL)) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'assessments are immutable; record a new one that supersedes it'
        USING ERRCODE = 'check_violation';
END $$;
