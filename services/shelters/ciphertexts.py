"""Shelters' encrypted columns (addresses, contacts, compromise reasons), for key checks
and re-encryption."""

from shared import idempotency
from shared.ciphertexts import Ciphertext

CIPHERTEXTS = (
    Ciphertext("shelters", "confidential"),  # aad: the shelter id
    Ciphertext("shelters", "compromise_reason", purpose=b"compromise"),
    *idempotency.CIPHERTEXTS,  # stored answers to retried requests
)
