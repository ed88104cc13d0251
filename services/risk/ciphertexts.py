"""Every encrypted column of risk: (table, id column, ciphertext column).

Each ciphertext is bound to its row by associated data = the id column's uuid bytes, so
re-encryption under a newer key (``amparo keys reencrypt``) reads this list, decrypts a
value with the id as associated data and writes it back under the newest key.
"""

from __future__ import annotations

CIPHERTEXTS: list[tuple[str, str, str]] = [
    # Her name, organisation, contacts and notes.
    ("cases", "id", "personal"),
    # An assessment's notes and override reason (the table refuses UPDATE: assessments are
    # immutable, so re-encryption must be let through that trigger for this column alone).
    ("assessments", "id", "private"),
]
