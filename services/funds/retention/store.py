"""SQL of erasure: the ciphertexts funds holds about one case's applications."""

from __future__ import annotations

import uuid

import asyncpg


def _count(status: str) -> int:
    return int(status.split()[-1])


async def erase_case(conn: asyncpg.Connection, case_id: uuid.UUID) -> dict[str, int]:
    """Vote comments and payee references of the case's applications become NULL (the
    stored answer a retry would get keeps no digit of the reference either). Decisions,
    amounts, tranches and the ledger are untouched. Returns the counts."""
    comments = await conn.execute(
        """UPDATE votes SET comment_enc = NULL, comment_erased_at = now()
           WHERE comment_enc IS NOT NULL
             AND application_id IN (SELECT id FROM applications WHERE case_id = $1)""",
        case_id,
    )
    payees = await conn.execute(
        """UPDATE disbursements
              SET payee_reference_enc = NULL, payee_reference = NULL, payee_erased_at = now(),
                  response = jsonb_set(response, '{payee_reference}', '""')
           WHERE payee_erased_at IS NULL
             AND application_id IN (SELECT id FROM applications WHERE case_id = $1)""",
        case_id,
    )
    return {"vote_comments": _count(comments), "payee_references": _count(payees)}
