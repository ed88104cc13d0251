"""Every encrypted column of funds: (table, id column, ciphertext column).

Each ciphertext is bound to its row by associated data = the id column's uuid bytes
(``amparo keys reencrypt`` reads this list to move every row to the newest key).
"""

from __future__ import annotations

CIPHERTEXTS: list[tuple[str, str, str]] = [
    # A committee member's comment on her vote (may name people or places).
    ("votes", "id", "comment_enc"),
    # The bank account, wallet or partner reference a tranche was paid to.
    ("disbursements", "id", "payee_reference_enc"),
]
