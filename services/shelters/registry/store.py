"""SQL of the shelter registry: shelters, rooms, beds and out-of-service periods."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def insert_shelter(conn: asyncpg.Connection, shelter_id: uuid.UUID, body, confidential: bytes) -> None:
    await conn.execute(
        """INSERT INTO shelters (id, code, kind, country, region, accepts, accessible, services, status,
                                 confidential)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        shelter_id,
        body.code,
        body.kind,
        body.country,
        body.region,
        sorted(set(body.accepts)),
        body.accessible,
        sorted(set(body.services)),
        body.status,
        confidential,
    )


SHELTER_COLUMNS = """s.id, s.code, s.kind, s.country, s.region, s.accepts, s.accessible, s.services, s.status,
    s.created_at, s.compromised_at, s.confidential,
    (SELECT count(*) FROM beds b WHERE b.shelter_id = s.id) AS beds"""


async def get_shelter(conn: asyncpg.Connection, shelter_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {SHELTER_COLUMNS} FROM shelters s WHERE s.id = $1", shelter_id)


async def lock_shelter(conn: asyncpg.Connection, shelter_id: uuid.UUID) -> asyncpg.Record | None:
    """Serializes holds, bed changes and status changes of one shelter."""
    return await conn.fetchrow(
        "SELECT id, code, country, region, status FROM shelters WHERE id = $1 FOR NO KEY UPDATE", shelter_id
    )


async def list_shelters(
    conn: asyncpg.Connection,
    *,
    countries: list[str] | None,
    status: str | None,
    region: str | None,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    rows = await conn.fetch(
        f"""SELECT {SHELTER_COLUMNS}, count(*) OVER () AS total FROM shelters s
            WHERE ($1::text[] IS NULL OR s.country = ANY($1))
              AND ($2::text IS NULL OR s.status = $2)
              AND ($3::text IS NULL OR lower(s.region) = lower($3))
            ORDER BY s.country, s.code
            LIMIT $4 OFFSET $5""",
        countries,
        status,
        region,
        limit,
        offset,
    )
    total = rows[0]["total"] if rows else await _count_shelters(conn, countries, status, region)
    return list(rows), total


async def _count_shelters(conn, countries, status, region) -> int:
    return await conn.fetchval(
        """SELECT count(*) FROM shelters s WHERE ($1::text[] IS NULL OR s.country = ANY($1))
           AND ($2::text IS NULL OR s.status = $2) AND ($3::text IS NULL OR lower(s.region) = lower($3))""",
        countries,
        status,
        region,
    )


async def set_shelter_status(
    conn: asyncpg.Connection,
    shelter_id: uuid.UUID,
    status: str,
    *,
    compromise_reason: bytes | None = None,
    now: datetime | None = None,
) -> None:
    await conn.execute(
        """UPDATE shelters SET status = $2,
               compromise_reason = COALESCE($3, compromise_reason),
               compromised_at = CASE WHEN $2 = 'compromised' THEN $4 ELSE compromised_at END,
               updated_at = now()
           WHERE id = $1""",
        shelter_id,
        status,
        compromise_reason,
        now,
    )


async def ensure_room(conn: asyncpg.Connection, shelter_id: uuid.UUID, name: str) -> uuid.UUID:
    return await conn.fetchval(
        """INSERT INTO rooms (id, shelter_id, name) VALUES ($1, $2, $3)
           ON CONFLICT (shelter_id, name) DO UPDATE SET name = EXCLUDED.name
           RETURNING id""",
        uuid.uuid4(),
        shelter_id,
        name,
    )


async def insert_beds(
    conn: asyncpg.Connection,
    shelter_id: uuid.UUID,
    room_id: uuid.UUID,
    room: str,
    count: int,
    *,
    child_sized: bool,
    accessible: bool,
) -> list[uuid.UUID]:
    existing = await conn.fetchval("SELECT count(*) FROM beds WHERE room_id = $1", room_id)
    ids = [uuid.uuid4() for _ in range(count)]
    await conn.executemany(
        """INSERT INTO beds (id, shelter_id, room_id, label, child_sized, accessible)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        [
            (bed_id, shelter_id, room_id, f"{room}-{existing + i + 1}", child_sized, accessible)
            for i, bed_id in enumerate(ids)
        ],
    )
    return ids


async def count_beds(conn: asyncpg.Connection, shelter_id: uuid.UUID) -> int:
    return await conn.fetchval("SELECT count(*) FROM beds WHERE shelter_id = $1", shelter_id)


async def list_beds(conn: asyncpg.Connection, shelter_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT b.id, r.name AS room, b.label, b.child_sized, b.accessible
           FROM beds b JOIN rooms r ON r.id = b.room_id WHERE b.shelter_id = $1
           ORDER BY r.name, b.created_at, b.label""",
        shelter_id,
    )


async def get_bed(conn: asyncpg.Connection, shelter_id: uuid.UUID, bed_id: uuid.UUID):
    return await conn.fetchrow("SELECT id FROM beds WHERE id = $1 AND shelter_id = $2", bed_id, shelter_id)


async def insert_out_of_service(
    conn: asyncpg.Connection,
    shelter_id: uuid.UUID,
    bed_id: uuid.UUID,
    start: datetime,
    end: datetime,
    reason: str,
) -> int:
    return await conn.fetchval(
        """INSERT INTO bed_allocations (bed_id, shelter_id, kind, out_of_service_reason, during)
           VALUES ($1, $2, 'out_of_service', $3, tstzrange($4, $5)) RETURNING id""",
        bed_id,
        shelter_id,
        reason,
        start,
        end,
    )


async def list_out_of_service(conn: asyncpg.Connection, shelter_id: uuid.UUID, bed_id: uuid.UUID):
    return await conn.fetch(
        """SELECT id, bed_id, lower(during) AS start, upper(during) AS "end", out_of_service_reason AS reason
           FROM bed_allocations WHERE bed_id = $1 AND shelter_id = $2 AND kind = 'out_of_service' AND active
           ORDER BY lower(during)""",
        bed_id,
        shelter_id,
    )


async def end_out_of_service(
    conn: asyncpg.Connection, shelter_id: uuid.UUID, bed_id: uuid.UUID, period_id: int
) -> bool:
    result = await conn.execute(
        """UPDATE bed_allocations SET active = false
           WHERE id = $1 AND bed_id = $2 AND shelter_id = $3 AND kind = 'out_of_service' AND active""",
        period_id,
        bed_id,
        shelter_id,
    )
    return result.endswith(" 1")
