"""SQL of the registry of attacks."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import asyncpg

from services.risk.consents.store import STATISTICS_CONSENT

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
    where = f"""($1::date IS NULL OR occurred_on >= $1) AND ($2::date IS NULL OR occurred_on <= $2)
               AND ($3::text[] IS NULL OR country = ANY($3)) AND {STATISTICS_CONSENT}"""
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
