-- The cases funds knows of, learned from risk's events (CaseOpened, AssessmentRecorded,
-- CaseClosed): an application by hand is opened only for a known, open case, by people of
-- its country, and carries the case's country.
CREATE TABLE cases (
    id uuid PRIMARY KEY,
    country char(2) NOT NULL,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    -- The event type this service first learned the case from (or 'backfill').
    learned_from text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Cases met before this table existed: those an assessment opened an application for (the
-- country came from risk; one opened by hand carried a country the caller typed).
INSERT INTO cases (id, country, status, learned_from)
SELECT case_id, min(country),
       CASE WHEN bool_or(close_reason = 'case_closed') THEN 'closed' ELSE 'open' END, 'backfill'
FROM applications WHERE assessment_id IS NOT NULL GROUP BY case_id;

-- The payee reference (a bank account, a mobile-money number) is stored encrypted, bound
-- to the disbursement id. Rows written before are encrypted by the funds service's job
-- (services.funds.disbursements.legacy), which then empties the clear column.
ALTER TABLE disbursements ALTER COLUMN payee_reference DROP NOT NULL;
ALTER TABLE disbursements ADD COLUMN payee_reference_enc bytea;
ALTER TABLE disbursements ADD CONSTRAINT disbursements_payee_known
    CHECK (payee_reference IS NOT NULL OR payee_reference_enc IS NOT NULL);
CREATE INDEX disbursements_payee_in_clear ON disbursements (id) WHERE payee_reference IS NOT NULL;

-- Why a member is recused: declared by her, or automatic (she opened the application).
-- Recusals are tied to the member's identity (the token's sub), like votes.
ALTER TABLE recusals ADD COLUMN automatic boolean NOT NULL DEFAULT false;
