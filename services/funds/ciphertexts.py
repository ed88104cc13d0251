"""Funds' encrypted columns (vote comments; payee references join here when they are
encrypted), for key checks and re-encryption."""

from shared.ciphertexts import Ciphertext

CIPHERTEXTS = (
    Ciphertext("votes", "comment_enc"),  # aad: the vote id
)
