-- Assessments never change, except that `amparo keys reencrypt` may move the private
-- notes to a new key: same plaintext, new ciphertext, every other column untouched.
CREATE OR REPLACE FUNCTION assessments_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('amparo.reencrypt', true) = 'on'
       AND (to_jsonb(NEW) - 'private') = (to_jsonb(OLD) - 'private') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'assessments are immutable; record a new one that supersedes it'
        USING ERRCODE = 'check_violation';
END $$;
