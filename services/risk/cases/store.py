"""SQL of cases, the audit log of personal-data reads, and re-assessment marks."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from shared.pagination import known_total

CASE_COLUMNS = """id, country, region, line_of_defence, party, status, level, last_assessment_id,
    last_assessed_at, opened_at, opened_by, closed_at, close_reason, personal_data,
    personal_data_blocked_at, personal_data_erased_at"""


async def insert_case(
    conn: asyncpg.Connection,
    *,
    case_id: uuid.UUID,
    country: str,
    region: str,
    line_of_defence: str,
    party: dict,
    personal: bytes,
    opened_by: str,
) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""INSERT INTO cases (id, country, region, line_of_defence, party, personal, opened_by)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {CASE_COLUMNS}""",
        case_id,
        country,
        region,
        line_of_defence,
        party,
        personal,
        opened_by,
    )


async def get_case(
    conn: asyncpg.Connection, case_id: uuid.UUID, *, for_update: bool = False, personal: bool = False
) -> asyncpg.Record | None:
    extra = ", personal" if personal else ""
    lock = " FOR UPDATE" if for_update else ""
    return await conn.fetchrow(f"SELECT {CASE_COLUMNS}{extra} FROM cases WHERE id = $1{lock}", case_id)


async def case_exists(conn: asyncpg.Connection, case_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT true FROM cases WHERE id = $1", case_id))


async def list_cases(
    conn: asyncpg.Connection,
    *,
    countries: list[str] | None,
    status: str | None,
    level: str | None,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    where = """($1::text[] IS NULL OR country = ANY($1)) AND ($2::text IS NULL OR status = $2)
               AND ($3::text IS NULL OR level = $3)"""
    rows = await conn.fetch(
        f"SELECT {CASE_COLUMNS} FROM cases WHERE {where} ORDER BY opened_at DESC, id LIMIT $4 OFFSET $5",
        countries,
        status,
        level,
        limit,
        offset,
    )
    total = known_total(len(rows), limit=limit, offset=offset)
    if total is None:
        total = await conn.fetchval(f"SELECT count(*) FROM cases WHERE {where}", countries, status, level)
    return rows, total


async def close_case(conn: asyncpg.Connection, case_id: uuid.UUID, reason: str) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""UPDATE cases SET status = 'closed', closed_at = clock_timestamp(), close_reason = $2
            WHERE id = $1 RETURNING {CASE_COLUMNS}""",
        case_id,
        reason,
    )


# --- audit -------------------------------------------------------------------------------------


async def audit(
    conn: asyncpg.Connection,
    *,
    actor: str,
    action: str,
    case_id: uuid.UUID | None,
    object_id: uuid.UUID | None = None,
    reason: str | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO audit_log (actor, action, case_id, object_id, reason) VALUES ($1, $2, $3, $4, $5)",
        actor,
        action,
        case_id,
        object_id,
        reason,
    )


async def list_audit(
    conn: asyncpg.Connection,
    *,
    case_id: uuid.UUID | None,
    actor: str | None,
    limit: int,
    offset: int,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[list[asyncpg.Record], int]:
    where = (
        "($1::uuid IS NULL OR case_id = $1) AND ($2::text IS NULL OR actor = $2) "
        "AND ($3::text IS NULL OR action = $3) AND ($4::timestamptz IS NULL OR at >= $4) "
        "AND ($5::timestamptz IS NULL OR at < $5)"
    )
    args = (case_id, actor, action, since, until)
    rows = await conn.fetch(
        f"SELECT id, at, actor, action, case_id, object_id, reason, result_count FROM audit_log WHERE {where} "
        "ORDER BY at DESC, id DESC LIMIT $6 OFFSET $7",
        *args,
        limit,
        offset,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM audit_log WHERE {where}", *args)
    return rows, total


# --- re-assessment marks ---------------------------------------------------------------------------


async def mark_due(
    conn: asyncpg.Connection, *, case_id: uuid.UUID, reason: str, source_id: uuid.UUID
) -> None:
    await conn.execute(
        """INSERT INTO reassessment_marks (case_id, reason, source_id) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING""",
        case_id,
        reason,
        source_id,
    )


async def note_announced(conn: asyncpg.Connection, case_id: uuid.UUID, due_since) -> bool:
    """True the first time this case is announced as due since this moment."""
    return bool(
        await conn.fetchval(
            """INSERT INTO reassessment_announcements (case_id, due_since) VALUES ($1, $2)
               ON CONFLICT DO NOTHING RETURNING true""",
            case_id,
            due_since,
        )
    )


async def due_candidates(
    conn: asyncpg.Connection,
    *,
    ageing_levels: list[str],
    countries: list[str] | None = None,
    case_id: uuid.UUID | None = None,
) -> list[asyncpg.Record]:
    """The facts the re-assessment rule (domain.reassessment) decides on, for every open case
    that could be due: one with a mark, or with a level that ages. This only narrows the
    rows; the rule decides. ``now`` is the database's clock, the one marks and assessments
    are stamped with."""
    return await conn.fetch(
        """SELECT c.id, c.country, c.region, c.status, c.level, c.last_assessed_at,
                  coalesce(m.reasons, '{}') AS mark_reasons, coalesce(m.times, '{}') AS mark_times,
                  statement_timestamp() AS now
           FROM cases c
           LEFT JOIN LATERAL (
               SELECT array_agg(reason) AS reasons, array_agg(marked_at) AS times
               FROM reassessment_marks WHERE case_id = c.id
           ) m ON true
           WHERE c.status = 'open' AND ($2::text[] IS NULL OR c.country = ANY($2))
             AND ($3::uuid IS NULL OR c.id = $3)
             AND (c.level = ANY($1) OR m.reasons IS NOT NULL)""",
        ageing_levels,
        countries,
        case_id,
    )
