"""Risk's encrypted columns (the defenders' personal data), for key checks and re-encryption."""

from shared import idempotency
from shared.ciphertexts import Ciphertext

CIPHERTEXTS = (
    Ciphertext("cases", "personal"),  # aad: the case id
    Ciphertext("assessments", "private"),  # aad: the assessment id
    *idempotency.CIPHERTEXTS,  # stored answers to retried requests
)
