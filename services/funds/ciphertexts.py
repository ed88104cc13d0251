"""Funds' encrypted columns (vote comments and payee references), for key checks and
re-encryption."""

from shared import idempotency
from shared.ciphertexts import Ciphertext

CIPHERTEXTS = (
    Ciphertext("votes", "comment_enc"),  # aad: the vote id
    # The bank account, wallet or partner reference a tranche was paid to.
    Ciphertext("disbursements", "payee_reference_enc"),  # aad: the disbursement id
    *idempotency.CIPHERTEXTS,  # stored answers to retried requests
)
