"""SQL of retention: the cases a run looks at, blocking and erasing (risk's ciphertexts)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.risk.cases.store import CASE_COLUMNS


async def db_now(conn: asyncpg.Connection) -> datetime:
    """The database's clock: cases are closed on it."""
    return await conn.fetchval("SELECT statement_timestamp()")


async def candidates(
    conn: asyncpg.Connection, *, now: datetime, block_days: int, erase_days: int, limit: int
) -> list[asyncpg.Record]:
    """Closed cases whose data a run could block or erase now, locked for the batch
    (``SKIP LOCKED``: a case a request or another run holds waits for the next run). This
    only narrows the rows; ``domain.retention.decide`` decides."""
    return await conn.fetch(
        """SELECT id, country, closed_at, personal_data, personal_data_blocked_at FROM cases
           WHERE status = 'closed' AND personal_data <> 'erased'
             AND ((personal_data = 'active' AND closed_at <= $1::timestamptz - make_interval(days => $2::int))
               OR (personal_data = 'blocked'
                   AND personal_data_blocked_at <= $1::timestamptz - make_interval(days => $3::int)))
           ORDER BY closed_at, id LIMIT $4::int FOR UPDATE SKIP LOCKED""",
        now,
        block_days,
        erase_days,
        limit,
    )


async def block(conn: asyncpg.Connection, case_id: uuid.UUID, at: datetime) -> None:
    await conn.execute(
        """UPDATE cases SET personal_data = 'blocked', personal_data_blocked_at = $2
           WHERE id = $1 AND personal_data = 'active'""",
        case_id,
        at,
    )


async def erase(conn: asyncpg.Connection, case_id: uuid.UUID, at: datetime, reason: str) -> dict[str, int]:
    """Delete every ciphertext risk holds about the case: her personal data and the private
    notes of each assessment (the assessments themselves stay: levels, scores, measures).
    Returns counts per kind. The caller holds the case's row lock."""
    await conn.execute(
        """UPDATE cases SET personal = NULL, personal_data = 'erased', personal_data_erased_at = $2,
                  personal_data_erasure_reason = $3
           WHERE id = $1""",
        case_id,
        at,
        reason,
    )
    # The one change the immutability trigger lets erasure make (migration 0008).
    await conn.execute("SET LOCAL amparo.erase = 'on'")
    notes = await conn.execute(
        "UPDATE assessments SET private = NULL WHERE case_id = $1 AND private IS NOT NULL", case_id
    )
    await conn.execute("SET LOCAL amparo.erase = 'off'")
    return {"cases": 1, "assessment_notes": int(notes.split()[-1])}


async def case_row(conn: asyncpg.Connection, case_id: uuid.UUID) -> asyncpg.Record:
    return await conn.fetchrow(f"SELECT {CASE_COLUMNS} FROM cases WHERE id = $1", case_id)


async def assessment_notes(conn: asyncpg.Connection, case_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, recorded_at, private FROM assessments
           WHERE case_id = $1 AND private IS NOT NULL ORDER BY recorded_at DESC, id""",
        case_id,
    )
