"""SQL of the risk service (asyncpg, ``$n`` parameters). Every function takes a connection."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

CASE_COLUMNS = """id, country, region, line_of_defence, party, status, level, last_assessment_id,
    last_assessed_at, opened_at, opened_by, closed_at, close_reason"""


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
    total = await conn.fetchval(f"SELECT count(*) FROM cases WHERE {where}", countries, status, level)
    return rows, total


async def close_case(conn: asyncpg.Connection, case_id: uuid.UUID, reason: str) -> asyncpg.Record:
    return await conn.fetchrow(
        f"""UPDATE cases SET status = 'closed', closed_at = clock_timestamp(), close_reason = $2
            WHERE id = $1 RETURNING {CASE_COLUMNS}""",
        case_id,
        reason,
    )


# --- assessments -----------------------------------------------------------------------------

ASSESSMENT_COLUMNS = """a.id, a.case_id, a.instrument_version, a.answers, a.scores, a.computed_level,
    a.level, a.overridden, a.measures, a.party, a.excluded_regions, a.supersedes, a.recorded_by,
    a.recorded_at"""


async def insert_assessment(conn: asyncpg.Connection, **values: Any) -> asyncpg.Record:
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    row = await conn.fetchrow(
        f"INSERT INTO assessments AS a ({', '.join(columns)}) VALUES ({placeholders}) "
        f"RETURNING {ASSESSMENT_COLUMNS}, NULL::uuid AS superseded_by",
        *values.values(),
    )
    await conn.execute(
        """UPDATE cases SET level = $2, last_assessment_id = $3, last_assessed_at = $4 WHERE id = $1""",
        values["case_id"],
        values["level"],
        values["id"],
        row["recorded_at"],
    )
    return row


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


# --- audit -------------------------------------------------------------------------------------


async def audit(
    conn: asyncpg.Connection,
    *,
    actor: str,
    action: str,
    case_id: uuid.UUID | None,
    object_id: uuid.UUID | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO audit_log (actor, action, case_id, object_id) VALUES ($1, $2, $3, $4)",
        actor,
        action,
        case_id,
        object_id,
    )


async def list_audit(
    conn: asyncpg.Connection,
    *,
    case_id: uuid.UUID | None,
    actor: str | None,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    where = "($1::uuid IS NULL OR case_id = $1) AND ($2::text IS NULL OR actor = $2)"
    rows = await conn.fetch(
        f"SELECT id, at, actor, action, case_id, object_id FROM audit_log WHERE {where} "
        "ORDER BY at DESC, id DESC LIMIT $3 OFFSET $4",
        case_id,
        actor,
        limit,
        offset,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM audit_log WHERE {where}", case_id, actor)
    return rows, total


# --- timeline and re-assessment marks ------------------------------------------------------------


async def add_step(
    conn: asyncpg.Connection,
    *,
    case_id: uuid.UUID,
    step_id: uuid.UUID,
    type: str,
    occurred_at: datetime,
    service: str,
    summary: str,
) -> None:
    await conn.execute(
        """INSERT INTO timeline (case_id, step_id, type, occurred_at, service, summary)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
        case_id,
        step_id,
        type,
        occurred_at,
        service,
        summary,
    )


async def steps(conn: asyncpg.Connection, case_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT type, occurred_at, service, summary FROM timeline WHERE case_id = $1 ORDER BY occurred_at, seq",
        case_id,
    )


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


_DUE = """
    WITH due AS (
        SELECT c.id, c.country, c.region, c.level, c.last_assessed_at, c.opened_at,
               ARRAY(SELECT DISTINCT m.reason FROM reassessment_marks m
                     WHERE m.case_id = c.id
                       AND (c.last_assessed_at IS NULL OR m.marked_at > c.last_assessed_at)) AS reasons,
               (SELECT min(m.marked_at) FROM reassessment_marks m
                 WHERE m.case_id = c.id
                   AND (c.last_assessed_at IS NULL OR m.marked_at > c.last_assessed_at)) AS marked_since,
               (c.level IN ('high', 'extreme')
                AND c.last_assessed_at < clock_timestamp() - make_interval(days => $1)) AS aged
        FROM cases c
        WHERE c.status = 'open' AND ($2::text[] IS NULL OR c.country = ANY($2)) AND ($3::uuid IS NULL OR c.id = $3)
    )
    SELECT id, country, region, level, last_assessed_at,
           reasons || CASE WHEN aged THEN ARRAY['assessment_aged'] ELSE ARRAY[]::text[] END AS reasons,
           LEAST(marked_since,
                 CASE WHEN aged THEN last_assessed_at + make_interval(days => $1) END) AS due_since
    FROM due WHERE cardinality(reasons) > 0 OR aged
"""


async def due_cases(
    conn: asyncpg.Connection,
    *,
    reassessment_days: int,
    countries: list[str] | None,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    rows = await conn.fetch(
        f"{_DUE} ORDER BY due_since, id LIMIT $4 OFFSET $5", reassessment_days, countries, None, limit, offset
    )
    total = await conn.fetchval(f"SELECT count(*) FROM ({_DUE}) d", reassessment_days, countries, None)
    return rows, total


async def is_due(conn: asyncpg.Connection, case_id: uuid.UUID, reassessment_days: int) -> bool:
    return bool(await conn.fetchval(f"SELECT count(*) FROM ({_DUE}) d", reassessment_days, None, case_id))


# --- incidents -----------------------------------------------------------------------------------

INCIDENT_COLUMNS = """id, occurred_on, country, region, scope, aggression_types, perpetrator_types,
    gender_components, gender_component_types, close_people_attacked, case_id, recorded_by, recorded_at"""


async def insert_incident(conn: asyncpg.Connection, **values: Any) -> asyncpg.Record:
    columns = list(values)
    placeholders = ", ".join(f"${i}" for i in range(1, len(columns) + 1))
    return await conn.fetchrow(
        f"INSERT INTO incidents ({', '.join(columns)}) VALUES ({placeholders}) RETURNING {INCIDENT_COLUMNS}",
        *values.values(),
    )


async def list_incidents(
    conn: asyncpg.Connection,
    *,
    start: date | None,
    end: date | None,
    countries: list[str] | None,
    case_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    where = """($1::date IS NULL OR occurred_on >= $1) AND ($2::date IS NULL OR occurred_on <= $2)
               AND ($3::text[] IS NULL OR country = ANY($3)) AND ($4::uuid IS NULL OR case_id = $4)"""
    args = (start, end, countries, case_id)
    rows = await conn.fetch(
        f"SELECT {INCIDENT_COLUMNS} FROM incidents WHERE {where} "
        "ORDER BY occurred_on DESC, recorded_at DESC LIMIT $5 OFFSET $6",
        *args,
        limit,
        offset,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM incidents WHERE {where}", *args)
    return rows, total


async def incident_stats(
    conn: asyncpg.Connection, *, start: date | None, end: date | None, countries: list[str] | None
) -> dict[str, Any]:
    where = """($1::date IS NULL OR occurred_on >= $1) AND ($2::date IS NULL OR occurred_on <= $2)
               AND ($3::text[] IS NULL OR country = ANY($3))"""
    args = (start, end, countries)
    head = await conn.fetchrow(
        f"""SELECT count(*) AS total,
                   count(*) FILTER (WHERE gender_components) AS gendered,
                   count(*) FILTER (WHERE close_people_attacked) AS close_people
            FROM incidents WHERE {where}""",
        *args,
    )

    async def grouped(expression: str) -> dict[str, int]:
        rows = await conn.fetch(
            f"SELECT k, count(*) AS n FROM (SELECT {expression} AS k FROM incidents WHERE {where}) s "
            "GROUP BY k ORDER BY k",
            *args,
        )
        return {r["k"]: r["n"] for r in rows}

    return {
        "total": head["total"],
        "gendered": head["gendered"],
        "close_people": head["close_people"],
        "by_country": await grouped("country"),
        "by_aggression_type": await grouped("unnest(aggression_types)"),
        "by_perpetrator_type": await grouped("unnest(perpetrator_types)"),
        "by_gender_component": await grouped("unnest(gender_component_types)"),
        "by_month": await grouped("to_char(occurred_on, 'YYYY-MM')"),
        "by_scope": await grouped("scope"),
    }
