-- Retention (issue 14): when risk erases a case's personal data, funds erases its own
-- ciphertexts for the case's applications: vote comments and payee references. Amounts,
-- tranches, votes' decisions and the ledger stay (the grants report does not change).
ALTER TABLE disbursements ADD COLUMN payee_erased_at timestamptz;
ALTER TABLE disbursements DROP CONSTRAINT disbursements_payee_known;
ALTER TABLE disbursements ADD CONSTRAINT disbursements_payee_known
    CHECK (payee_reference IS NOT NULL OR payee_reference_enc IS NOT NULL OR payee_erased_at IS NOT NULL);
ALTER TABLE votes ADD COLUMN comment_erased_at timestamptz;
