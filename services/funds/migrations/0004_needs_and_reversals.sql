-- Issue 14 (funds): applications explain why no fund fits them, follow one need (revisions
-- and follow-ups), and a wrong deposit is corrected by a reversing entry.

-- Why the matching found no fund for an application (NULL: a fund was chosen), with the
-- numbers of the closest fund when none had enough available.
ALTER TABLE applications
    ADD COLUMN match_reason text
        CHECK (match_reason IN ('no_fund_serves_country', 'no_fund_with_policy', 'not_enough_available')),
    ADD COLUMN match_available bigint,
    ADD COLUMN match_needed bigint,
    ADD COLUMN match_currency text,
    -- A follow-up application: the decided application of the same case it follows.
    ADD COLUMN follows_id uuid REFERENCES applications (id),
    -- How many times its lines, amounts, track or fund were revised since it was opened.
    ADD COLUMN revision integer NOT NULL DEFAULT 0;
CREATE INDEX applications_unmatched ON applications (country)
    WHERE status IN ('pending', 'info_requested') AND (fund_id IS NULL OR requested = 0);

-- Every revision of an undecided application: what it was, what it became, who or which
-- event caused it and why. Codes and amounts only, no personal data.
CREATE TABLE application_revisions (
    application_id uuid NOT NULL REFERENCES applications (id),
    revision integer NOT NULL CHECK (revision >= 1),
    cause text NOT NULL CHECK (cause IN ('assessment', 'policy', 'pricing')),
    revised_by text NOT NULL,
    -- The assessment (and its AssessmentRecorded event) that caused it, for cause = assessment.
    assessment_id uuid,
    event_id uuid,
    reason_code text,
    previous jsonb NOT NULL,
    current jsonb NOT NULL,
    revised_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, revision)
);
CREATE INDEX application_revisions_assessment ON application_revisions (assessment_id)
    WHERE assessment_id IS NOT NULL;

-- Deposit reversals: a new entry that takes a wrong deposit back (the ledger stays
-- append-only), naming the deposit it reverses (once) and a reason code.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_kind_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_kind_check
    CHECK (kind IN ('deposit', 'deposit_reversal', 'commitment', 'release', 'disbursement'));
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_check;
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_fund_money_has_no_application
    CHECK ((kind IN ('deposit', 'deposit_reversal')) = (application_id IS NULL));
ALTER TABLE ledger_entries
    ADD COLUMN reverses_id bigint UNIQUE REFERENCES ledger_entries (id),
    ADD COLUMN reason_code text CHECK (reason_code ~ '^[a-z][a-z0-9_]{1,39}$'),
    ADD CONSTRAINT ledger_reversal_names_deposit
        CHECK ((kind = 'deposit_reversal') = (reverses_id IS NOT NULL AND reason_code IS NOT NULL));

-- The free-text note of a reversal (it may name a donor or a person): AES-GCM, bound to id.
CREATE TABLE ledger_notes (
    id uuid PRIMARY KEY,
    entry_id bigint NOT NULL UNIQUE REFERENCES ledger_entries (id),
    note_enc bytea NOT NULL
);

-- A reversal takes its deposit out of `deposited` (so available and balance drop with it; the
-- CHECKs on funds refuse one that would make either negative) and must name a deposit of
-- the same fund, for its whole amount.
CREATE OR REPLACE FUNCTION ledger_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    open_for_application bigint;
    reversed record;
BEGIN
    IF NEW.kind = 'deposit_reversal' THEN
        SELECT kind, fund_id, amount INTO reversed FROM ledger_entries WHERE id = NEW.reverses_id;
        IF reversed.kind IS DISTINCT FROM 'deposit' OR reversed.fund_id <> NEW.fund_id
           OR reversed.amount <> NEW.amount THEN
            RAISE EXCEPTION 'a reversal takes back one whole deposit of its own fund'
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    UPDATE funds SET
        deposited = deposited + CASE NEW.kind WHEN 'deposit' THEN NEW.amount
                                              WHEN 'deposit_reversal' THEN -NEW.amount ELSE 0 END,
        committed_total = committed_total + CASE WHEN NEW.kind = 'commitment' THEN NEW.amount ELSE 0 END,
        released_total = released_total + CASE WHEN NEW.kind = 'release' THEN NEW.amount ELSE 0 END,
        disbursed_total = disbursed_total + CASE WHEN NEW.kind = 'disbursement' THEN NEW.amount ELSE 0 END
    WHERE id = NEW.fund_id;
    IF NEW.application_id IS NOT NULL AND NEW.kind IN ('release', 'disbursement') THEN
        SELECT coalesce(sum(CASE kind WHEN 'commitment' THEN amount ELSE -amount END), 0)
          INTO open_for_application
          FROM ledger_entries WHERE application_id = NEW.application_id;
        IF open_for_application < NEW.amount THEN
            RAISE EXCEPTION 'application % has only % committed and unpaid', NEW.application_id, open_for_application
                USING ERRCODE = 'check_violation';
        END IF;
    END IF;
    RETURN NEW;
END $$;
