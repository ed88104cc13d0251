-- Funds, their append-only ledger, grant policies and committees.

CREATE TABLE funds (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    currency text NOT NULL CHECK (currency IN ('USD', 'MXN', 'GTQ', 'HNL', 'NIO', 'CRC', 'EUR', 'SVC', 'BZD', 'PAB')),
    countries text[] NOT NULL CHECK (cardinality(countries) >= 1),
    -- Running totals of the ledger, written ONLY by the ledger trigger below, so the
    -- balance is always derivable from (and checked against) the ledger rows.
    deposited bigint NOT NULL DEFAULT 0,
    committed_total bigint NOT NULL DEFAULT 0,
    released_total bigint NOT NULL DEFAULT 0,
    disbursed_total bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- available = deposited - committed + released; open commitments = committed - released - disbursed
    CONSTRAINT fund_available_never_negative CHECK (deposited - committed_total + released_total >= 0),
    CONSTRAINT fund_commitments_never_negative CHECK (committed_total - released_total - disbursed_total >= 0),
    CONSTRAINT fund_balance_never_negative CHECK (deposited - disbursed_total >= 0)
);
CREATE INDEX funds_countries ON funds USING gin (countries);

CREATE TABLE fund_policies (
    fund_id uuid PRIMARY KEY REFERENCES funds (id),
    ceiling bigint NOT NULL CHECK (ceiling > 0),
    emergency_limit bigint NOT NULL CHECK (emergency_limit > 0),
    quorum integer NOT NULL CHECK (quorum BETWEEN 1 AND 25),
    -- [{purpose, country|null, amount}]
    suggested jsonb NOT NULL DEFAULT '[]',
    decision_hours double precision CHECK (decision_hours > 0),
    emergency_decision_hours double precision CHECK (emergency_decision_hours > 0),
    ratification_hours double precision CHECK (ratification_hours > 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by text NOT NULL,
    CHECK (emergency_limit <= ceiling)
);

CREATE TABLE fund_members (
    fund_id uuid NOT NULL REFERENCES funds (id),
    sub text NOT NULL CHECK (length(sub) BETWEEN 1 AND 200),
    added_at timestamptz NOT NULL DEFAULT now(),
    added_by text NOT NULL,
    PRIMARY KEY (fund_id, sub)
);

CREATE TABLE applications (
    id uuid PRIMARY KEY,
    case_id uuid NOT NULL,
    assessment_id uuid,
    fund_id uuid REFERENCES funds (id),
    country text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    track text NOT NULL CHECK (track IN ('emergency', 'ordinary')),
    status text NOT NULL CHECK (status IN ('pending', 'info_requested', 'approved', 'rejected', 'closed')),
    currency text NOT NULL,
    requested bigint NOT NULL CHECK (requested >= 0),
    approved bigint CHECK (approved > 0),
    ratified boolean,
    flag_reason text,
    opened_by text NOT NULL,
    opened_at timestamptz NOT NULL DEFAULT now(),
    due_at timestamptz NOT NULL,
    decided_at timestamptz,
    ratification_due_at timestamptz,
    ratified_at timestamptz,
    first_paid_at timestamptz,
    closed_at timestamptz,
    close_reason text,
    overdue_emitted_at timestamptz
);
-- One application per case and assessment: redelivered or replayed events open nothing new.
CREATE UNIQUE INDEX applications_one_per_assessment ON applications (case_id, assessment_id)
    WHERE assessment_id IS NOT NULL;
CREATE INDEX applications_case ON applications (case_id);
CREATE INDEX applications_country_status ON applications (country, status, opened_at);
CREATE INDEX applications_undecided_due ON applications (due_at)
    WHERE status IN ('pending', 'info_requested');

CREATE TABLE application_lines (
    application_id uuid NOT NULL REFERENCES applications (id),
    purpose text NOT NULL,
    amount bigint NOT NULL CHECK (amount >= 0),
    approved bigint CHECK (approved >= 0),
    PRIMARY KEY (application_id, purpose)
);

CREATE TABLE votes (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    member text NOT NULL,
    decision text NOT NULL CHECK (decision IN ('approve', 'reject', 'request_info')),
    amount bigint CHECK (amount > 0),
    -- The comment may name people or places: AES-GCM, bound to the vote id.
    comment_enc bytea,
    emergency boolean NOT NULL DEFAULT false,
    cast_at timestamptz NOT NULL DEFAULT now()
);
-- A member approves or rejects once; asking for information does not use up her vote.
CREATE UNIQUE INDEX votes_one_decision_per_member ON votes (application_id, member)
    WHERE decision IN ('approve', 'reject');

CREATE TABLE recusals (
    application_id uuid NOT NULL REFERENCES applications (id),
    member text NOT NULL,
    reason_code text NOT NULL,
    declared_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (application_id, member)
);

CREATE TABLE disbursements (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL REFERENCES applications (id),
    idempotency_key text NOT NULL,
    fingerprint text NOT NULL,
    tranche integer NOT NULL CHECK (tranche >= 1),
    amount bigint NOT NULL CHECK (amount > 0),
    method text NOT NULL CHECK (method IN ('bank_transfer', 'partner_cash', 'mobile_money')),
    payee_reference text NOT NULL,
    response jsonb NOT NULL,
    made_by text NOT NULL,
    made_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (application_id, idempotency_key),
    UNIQUE (application_id, tranche)
);

CREATE TABLE ledger_entries (
    id bigserial PRIMARY KEY,
    fund_id uuid NOT NULL REFERENCES funds (id),
    kind text NOT NULL CHECK (kind IN ('deposit', 'commitment', 'release', 'disbursement')),
    amount bigint NOT NULL CHECK (amount > 0),
    application_id uuid REFERENCES applications (id),
    disbursement_id uuid REFERENCES disbursements (id),
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'deposit') = (application_id IS NULL)),
    CHECK ((kind = 'disbursement') = (disbursement_id IS NOT NULL))
);
CREATE INDEX ledger_fund ON ledger_entries (fund_id, id);
CREATE INDEX ledger_application ON ledger_entries (application_id) WHERE application_id IS NOT NULL;

-- The ledger is append-only: corrections are new entries, never edits.
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the ledger is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'restrict_violation';
END $$;
CREATE TRIGGER ledger_no_update_delete BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_append_only();
CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only();

-- Every entry moves the fund's totals under the fund's row lock, and the CHECKs on funds
-- refuse any entry that would overspend. Per application, what is paid never exceeds
-- what is committed and not released. This holds whatever the application code does.
CREATE FUNCTION ledger_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    open_for_application bigint;
BEGIN
    UPDATE funds SET
        deposited = deposited + CASE WHEN NEW.kind = 'deposit' THEN NEW.amount ELSE 0 END,
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
CREATE TRIGGER ledger_apply_totals BEFORE INSERT ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION ledger_apply();
