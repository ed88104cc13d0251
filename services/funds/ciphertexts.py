"""Funds' encrypted columns (vote comments and payee references), for key checks and
re-encryption."""

from shared import idempotency
from shared.ciphertexts import Ciphertext

# The note of a deposit reversal (it may name a donor or a person).
NOTE_PURPOSE = b"ledger_note"

CIPHERTEXTS = (
    Ciphertext("votes", "comment_enc"),  # aad: the vote id
    # The bank account, wallet or partner reference a tranche was paid to.
    Ciphertext("disbursements", "payee_reference_enc"),  # aad: the disbursement id
    Ciphertext("ledger_notes", "note_enc", purpose=NOTE_PURPOSE),  # aad: the note id + purpose
    *idempotency.CIPHERTEXTS,  # stored answers to retried requests
)
