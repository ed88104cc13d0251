"""SQL of assessments (immutable rows: a trigger refuses UPDATE and DELETE)."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

ASSESSMENT_COLUMNS = """a.id, a.case_id, a.instrument_version, a.answers, a.scores, a.computed_level,
    a.level, a.overridden, a.measures, a.party, a.excluded_regions, a.supersedes, a.recorded_by,
    a.recorded_at, a.shared_with"""


async def insert_assessment(conn: asyncpg.Connection, **values: Any) -> asyncpg.Record:
    """The new assessment, and the case's latest level, in the caller's transaction."""
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    row = await conn.fetchrow(
        f"INSERT INTO assessments AS a ({', '.join(columns)}) VALUES ({placeholders}) "
        f"RETURNING {ASSESSMENT_COLUMNS}, NULL::uuid AS superseded_by",
        *values.values(),
    )
    await conn.execute(
        "UPDATE cases SET level = $2, last_assessment_id = $3, last_assessed_at = $4 WHERE id = $1",
        values["case_id"],
        values["level"],
        values["id"],
        row["recorded_at"],
    )
    return row


async def event_of(conn: asyncpg.Connection, assessment_id: uuid.UUID) -> uuid.UUID | None:
    """The id of the event that announced an assessment (None for those recorded before
    events were kept with them)."""
    return await conn.fetchval("SELECT event_id FROM assessments WHERE id = $1", assessment_id)


async def list_assessments(
    conn: asyncpg.Connection, case_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    rows = await conn.fetch(
        f"""SELECT {ASSESSMENT_COLUMNS}, a.private, s.id AS superseded_by
            FROM assessments a LEFT JOIN assessments s ON s.supersedes = a.id
            WHERE a.case_id = $1 ORDER BY a.recorded_at DESC, a.id LIMIT $2 OFFSET $3""",
        case_id,
        limit,
        offset,
    )
    total = await conn.fetchval("SELECT count(*) FROM assessments WHERE case_id = $1", case_id)
    return rows, total
