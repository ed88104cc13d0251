"""Shelters' encrypted columns (addresses, contacts, compromise reasons), for key checks
and re-encryption."""

from shared.ciphertexts import Ciphertext

CIPHERTEXTS = (
    Ciphertext("shelters", "confidential"),  # aad: the shelter id
    Ciphertext("shelters", "compromise_reason", purpose=b"compromise"),
)
