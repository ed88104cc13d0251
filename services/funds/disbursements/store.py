"""SQL of disbursements (asyncpg, ``$n`` parameters)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

Conn = asyncpg.Connection


async def disbursement_by_key(conn: Conn, app_id: uuid.UUID, key: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT id, fingerprint, response, payee_reference, payee_reference_enc, payee_erased_at
           FROM disbursements
           WHERE application_id = $1 AND idempotency_key = $2""",
        app_id,
        key,
    )


async def tranche_count(conn: Conn, app_id: uuid.UUID) -> int:
    return await conn.fetchval("SELECT count(*) FROM disbursements WHERE application_id = $1", app_id)


async def insert_disbursement(conn: Conn, row: dict[str, Any]) -> None:
    await conn.execute(
        """INSERT INTO disbursements (id, application_id, idempotency_key, fingerprint, tranche, amount,
                                      method, payee_reference_enc, response, made_by, made_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        row["id"],
        row["application_id"],
        row["idempotency_key"],
        row["fingerprint"],
        row["tranche"],
        row["amount"],
        row["method"],
        row["payee_reference_enc"],
        row["response"],
        row["made_by"],
        row["made_at"],
    )


async def tranches_of(
    conn: Conn, app_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    """The application's tranches in order, with the reference as the stored answer shows it."""
    rows = await conn.fetch(
        """SELECT d.id, d.application_id, d.tranche, d.amount, d.method, d.made_at, a.currency,
                  d.response->>'payee_reference' AS shown_reference
           FROM disbursements d JOIN applications a ON a.id = d.application_id
           WHERE d.application_id = $1 ORDER BY d.tranche LIMIT $2 OFFSET $3""",
        app_id,
        limit,
        offset,
    )
    return list(rows), await tranche_count(conn, app_id)


async def set_first_paid(conn: Conn, app_id: uuid.UUID, at: datetime) -> None:
    await conn.execute(
        "UPDATE applications SET first_paid_at = coalesce(first_paid_at, $2) WHERE id = $1", app_id, at
    )


# --- rows written before payee references were encrypted -----------------------------------


async def in_clear(conn: Conn, limit: int) -> list[asyncpg.Record]:
    return list(
        await conn.fetch(
            """SELECT id, payee_reference, response FROM disbursements
               WHERE payee_reference IS NOT NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED""",
            limit,
        )
    )


async def encrypt_payee(conn: Conn, disbursement_id: uuid.UUID, enc: bytes, response: Any, fp: str) -> None:
    await conn.execute(
        """UPDATE disbursements SET payee_reference_enc = $2, payee_reference = NULL, response = $3,
                  fingerprint = $4
           WHERE id = $1""",
        disbursement_id,
        enc,
        response,
        fp,
    )
