"""Every encrypted column of shelters: (table, id column, ciphertext column).

A ciphertext is bound to its row by associated data = the id column's uuid bytes, plus
the purpose in ``AAD_PURPOSE`` where one is named (``amparo keys reencrypt`` reads both).
"""

from __future__ import annotations

CIPHERTEXTS: list[tuple[str, str, str]] = [
    # The shelter's address and contact: only coordinators read them.
    ("shelters", "id", "confidential"),
    # Why it was reported compromised (may name people or places).
    ("shelters", "id", "compromise_reason"),
]

# Associated data = id bytes + this purpose (services.shelters.registry.service.aad).
AAD_PURPOSE: dict[tuple[str, str], bytes] = {("shelters", "compromise_reason"): b"compromise"}
