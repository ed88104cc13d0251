"""SQL of availability and capacity: free beds in a window, allocations of the next days."""

from __future__ import annotations

from datetime import datetime

import asyncpg

# Beds taken in the window come from one scan of the active allocations that overlap it
# (partial gist index on `during`), joined by hash: cheaper than probing every bed once
# beds are occupied, and blind to history (ended stays are not active).
AVAILABILITY_SQL = """WITH busy AS (
    SELECT DISTINCT a.bed_id FROM bed_allocations a
    WHERE a.active AND a.during && tstzrange($1, $2))
SELECT s.id, s.code, s.kind, s.country, s.region, s.accessible,
       count(b.id) AS beds,
       count(b.id) FILTER (WHERE busy.bed_id IS NULL) AS free,
       count(b.id) FILTER (WHERE busy.bed_id IS NULL AND NOT b.child_sized AND NOT b.accessible) AS free_r,
       count(b.id) FILTER (WHERE busy.bed_id IS NULL AND NOT b.child_sized AND b.accessible) AS free_ra,
       count(b.id) FILTER (WHERE busy.bed_id IS NULL AND b.child_sized AND NOT b.accessible) AS free_c,
       count(b.id) FILTER (WHERE busy.bed_id IS NULL AND b.child_sized AND b.accessible) AS free_ca
FROM shelters s
LEFT JOIN beds b ON b.shelter_id = s.id
LEFT JOIN busy ON busy.bed_id = b.id
WHERE s.status = 'open'
  AND ($3::text[] IS NULL OR s.country = ANY($3))
  AND ($4::text IS NULL OR lower(s.region) = lower($4))
GROUP BY s.id
ORDER BY s.country, s.code"""


async def availability(
    conn: asyncpg.Connection,
    *,
    start: datetime,
    end: datetime,
    countries: list[str] | None,
    region: str | None,
) -> list[asyncpg.Record]:
    """One query; its cost follows the beds and the stays active in the window, never
    the number of past placements."""
    return await conn.fetch(
        AVAILABILITY_SQL,
        start,
        end,
        countries,
        region,
    )


async def capacity_shelters(conn: asyncpg.Connection, countries: list[str] | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT s.id, s.code, s.country, s.region, s.status, count(b.id) AS beds
           FROM shelters s LEFT JOIN beds b ON b.shelter_id = s.id
           WHERE ($1::text[] IS NULL OR s.country = ANY($1))
           GROUP BY s.id ORDER BY s.country, s.code""",
        countries,
    )


async def capacity_allocations(
    conn: asyncpg.Connection, start: datetime, end: datetime, countries: list[str] | None
) -> list[asyncpg.Record]:
    """Active allocations touching [start, end): the only rows capacity needs."""
    return await conn.fetch(
        """SELECT a.shelter_id, a.bed_id, a.kind, p.status, lower(a.during) AS lo, upper(a.during) AS hi
           FROM bed_allocations a
           JOIN shelters s ON s.id = a.shelter_id
           LEFT JOIN placements p ON p.id = a.placement_id
           WHERE a.active AND a.during && tstzrange($1, $2)
             AND ($3::text[] IS NULL OR s.country = ANY($3))""",
        start,
        end,
        countries,
    )
