-- What needs attention (services/console/notifications): one row per thing to watch,
-- raised and cleared by the services' events. No personal data: kinds, ids, countries
-- and times only, so a mail or a page made from it never carries any.
CREATE TABLE notices (
    id          uuid PRIMARY KEY,
    kind        text NOT NULL CHECK (kind IN
                  ('hold_expiring', 'emergency_due', 'reassessment_due', 'ratification_waiting')),
    subject_id  uuid NOT NULL,          -- the placement, the application or the case
    case_id     uuid,
    country     text NOT NULL,
    due_at      timestamptz NOT NULL,   -- the hold's expiry, the decision's deadline, ...
    raised_at   timestamptz NOT NULL DEFAULT now(),
    cleared_at  timestamptz,
    UNIQUE (kind, subject_id)
);
CREATE INDEX notices_open ON notices (due_at) WHERE cleared_at IS NULL;

-- A person's "seen, thank you" on a notice, and the mails already sent (once each).
CREATE TABLE notice_dismissals (
    account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    notice_id   uuid NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, notice_id)
);
CREATE TABLE notice_mails (
    account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    notice_id   uuid NOT NULL REFERENCES notices (id) ON DELETE CASCADE,
    sent_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, notice_id)
);
