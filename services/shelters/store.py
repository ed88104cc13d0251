"""SQL of the shelters service (asyncpg, ``$n`` parameters). No rules here, only reads and writes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.shelters.domain import BedSlot, Candidate

ACTIVE_STATES = ["requested", "held", "confirmed", "checked_in"]

# --- shelters, rooms, beds -------------------------------------------------------------


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


# --- matching -------------------------------------------------------------------------


async def candidates(
    conn: asyncpg.Connection,
    start: datetime,
    end: datetime,
    *,
    skip: Sequence[uuid.UUID] = (),
) -> list[Candidate]:
    """Open shelters with how many beds of each kind are free for all of [start, end):
    one row per shelter, computed as availability is."""
    rows = await conn.fetch(
        """WITH busy AS (
               SELECT DISTINCT a.bed_id FROM bed_allocations a
               WHERE a.active AND a.during && tstzrange($1, $2))
           SELECT s.id, s.code, s.country, s.region, s.accepts, s.accessible,
                  count(*) FILTER (WHERE NOT b.child_sized) AS free_regular,
                  count(*) FILTER (WHERE NOT b.child_sized AND b.accessible) AS free_regular_accessible,
                  count(*) FILTER (WHERE b.child_sized) AS free_child
           FROM shelters s JOIN beds b ON b.shelter_id = s.id
           LEFT JOIN busy ON busy.bed_id = b.id
           WHERE s.status = 'open'
             AND NOT (s.id = ANY($3::uuid[]))
             AND busy.bed_id IS NULL
           GROUP BY s.id""",
        start,
        end,
        list(skip),
    )
    return [
        Candidate(
            shelter_id=r["id"],
            code=r["code"],
            country=r["country"],
            region=r["region"],
            accepts=tuple(r["accepts"]),
            accessible=r["accessible"],
            free_regular=r["free_regular"],
            free_regular_accessible=r["free_regular_accessible"],
            free_child=r["free_child"],
        )
        for r in rows
    ]


async def free_beds(
    conn: asyncpg.Connection, shelter_id: uuid.UUID, start: datetime, end: datetime
) -> list[BedSlot]:
    """The beds of one shelter free for all of [start, end) (read under its lock)."""
    rows = await conn.fetch(
        """SELECT b.id, b.child_sized, b.accessible FROM beds b
           WHERE b.shelter_id = $1
             AND NOT EXISTS (SELECT 1 FROM bed_allocations a
                             WHERE a.active AND a.bed_id = b.id AND a.during && tstzrange($2, $3))""",
        shelter_id,
        start,
        end,
    )
    return [BedSlot(id=r["id"], child_sized=r["child_sized"], accessible=r["accessible"]) for r in rows]


async def insert_placement_allocations(
    conn: asyncpg.Connection,
    placement_id: uuid.UUID,
    shelter_id: uuid.UUID,
    bed_ids: Sequence[uuid.UUID],
    start: datetime,
    end: datetime,
) -> None:
    await conn.executemany(
        """INSERT INTO bed_allocations (bed_id, shelter_id, placement_id, kind, during)
           VALUES ($1, $2, $3, 'placement', tstzrange($4, $5))""",
        [(bed_id, shelter_id, placement_id, start, end) for bed_id in bed_ids],
    )


async def release_allocations(conn: asyncpg.Connection, placement_id: uuid.UUID, now: datetime) -> int:
    """Free the beds: the row stays (history) but leaves the exclusion and the indexes."""
    result = await conn.execute(
        """UPDATE bed_allocations
           SET active = false,
               during = tstzrange(lower(during), GREATEST(LEAST(upper(during), $2), lower(during) + interval '1 microsecond'))
           WHERE placement_id = $1 AND active""",
        placement_id,
        now,
    )
    return int(result.split()[-1])


async def set_allocation_end(conn: asyncpg.Connection, placement_id: uuid.UUID, end: datetime) -> None:
    await conn.execute(
        "UPDATE bed_allocations SET during = tstzrange(lower(during), $2) WHERE placement_id = $1 AND active",
        placement_id,
        end,
    )


async def overstays(conn: asyncpg.Connection, before: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT DISTINCT a.placement_id FROM bed_allocations a JOIN placements p ON p.id = a.placement_id
           WHERE a.active AND p.status = 'checked_in' AND upper(a.during) < $1""",
        before,
    )


# --- placements -----------------------------------------------------------------------

PLACEMENT_SELECT = """
SELECT p.*, s.code AS shelter_code, s.country AS shelter_country, s.region AS shelter_region,
       COALESCE((SELECT array_agg(a.bed_id ORDER BY a.bed_id) FROM bed_allocations a
                 WHERE a.placement_id = p.id AND (a.active OR p.status = 'ended')), '{}') AS bed_ids
FROM placements p LEFT JOIN shelters s ON s.id = p.shelter_id
"""


async def insert_placement(
    conn: asyncpg.Connection,
    *,
    placement_id: uuid.UUID,
    case_id: uuid.UUID,
    country: str,
    region: str,
    adults: int,
    children_ages: list[int],
    accessibility_needs: list[str],
    level: str,
    level_rank: int,
    excluded_regions: list[str],
    stay_days: int,
    source: str,
    assessment_id: uuid.UUID | None,
    relocation_of: uuid.UUID | None,
    now: datetime,
) -> None:
    await conn.execute(
        """INSERT INTO placements (id, case_id, country, region, adults, children_ages, accessibility_needs,
                                   level, level_rank, excluded_regions, stay_days, source, assessment_id,
                                   relocation_of, requested_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)""",
        placement_id,
        case_id,
        country,
        region,
        adults,
        children_ages,
        accessibility_needs,
        level,
        level_rank,
        excluded_regions,
        stay_days,
        source,
        assessment_id,
        relocation_of,
        now,
    )


async def get_placement(
    conn: asyncpg.Connection, placement_id: uuid.UUID, *, lock: bool = False
) -> asyncpg.Record | None:
    if lock:
        # Lock the placement row alone (a join would lock the shelter too).
        found = await conn.fetchval("SELECT id FROM placements WHERE id = $1 FOR UPDATE", placement_id)
        if found is None:
            return None
    return await conn.fetchrow(PLACEMENT_SELECT + " WHERE p.id = $1", placement_id)


async def active_placement_for_case(conn: asyncpg.Connection, case_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """SELECT * FROM placements WHERE case_id = $1
           AND status = ANY($2::text[]) AND NOT needs_relocation FOR UPDATE""",
        case_id,
        ACTIVE_STATES,
    )


async def list_placements(
    conn: asyncpg.Connection,
    *,
    countries: list[str] | None,
    case_id: uuid.UUID | None,
    status: str | None,
    shelter_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    where = """WHERE ($1::text[] IS NULL OR p.country = ANY($1) OR s.country = ANY($1))
                 AND ($2::uuid IS NULL OR p.case_id = $2)
                 AND ($3::text IS NULL OR p.status = $3)
                 AND ($4::uuid IS NULL OR p.shelter_id = $4)"""
    rows = await conn.fetch(
        PLACEMENT_SELECT + where + " ORDER BY p.requested_at DESC, p.id LIMIT $5 OFFSET $6",
        countries,
        case_id,
        status,
        shelter_id,
        limit,
        offset,
    )
    total = await conn.fetchval(
        "SELECT count(*) FROM placements p LEFT JOIN shelters s ON s.id = p.shelter_id " + where,
        countries,
        case_id,
        status,
        shelter_id,
    )
    return list(rows), total


async def mark_held(
    conn: asyncpg.Connection,
    placement_id: uuid.UUID,
    *,
    shelter_id: uuid.UUID,
    reason: str,
    now: datetime,
    expires: datetime,
    end: datetime,
) -> None:
    await conn.execute(
        """UPDATE placements SET status = 'held', shelter_id = $2, reason = $3, held_at = $4,
               hold_expires_at = $5, starts_at = $4, expected_end = $6, waitlisted = false, updated_at = $4
           WHERE id = $1""",
        placement_id,
        shelter_id,
        reason,
        now,
        expires,
        end,
    )


async def mark_waitlisted(conn: asyncpg.Connection, placement_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE placements SET waitlisted = true, updated_at = now() WHERE id = $1", placement_id
    )


async def set_status(
    conn: asyncpg.Connection,
    placement_id: uuid.UUID,
    status: str,
    now: datetime,
    *,
    end_reason: str | None = None,
    expected_end: datetime | None = None,
) -> None:
    stamp = {
        "confirmed": "confirmed_at",
        "checked_in": "checked_in_at",
        "ended": "ended_at",
        "cancelled": "ended_at",
        "expired": "ended_at",
    }[status]
    await conn.execute(
        f"""UPDATE placements SET status = $2, {stamp} = $3, updated_at = $3,
                end_reason = COALESCE($4, end_reason),
                expected_end = COALESCE($5, expected_end),
                hold_expires_at = CASE WHEN $2 = 'held' THEN hold_expires_at ELSE NULL END,
                waitlisted = false
            WHERE id = $1""",
        placement_id,
        status,
        now,
        end_reason,
        expected_end,
    )


async def mark_needs_relocation(conn: asyncpg.Connection, placement_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE placements SET needs_relocation = true, updated_at = now() WHERE id = $1", placement_id
    )


async def update_waiting_request(
    conn: asyncpg.Connection,
    placement_id: uuid.UUID,
    *,
    level: str,
    level_rank: int,
    adults: int,
    children_ages: list[int],
    accessibility_needs: list[str],
    excluded_regions: list[str],
) -> None:
    await conn.execute(
        """UPDATE placements SET level = $2, level_rank = $3, adults = $4, children_ages = $5,
               accessibility_needs = $6, excluded_regions = $7, updated_at = now()
           WHERE id = $1 AND status = 'requested'""",
        placement_id,
        level,
        level_rank,
        adults,
        children_ages,
        accessibility_needs,
        excluded_regions,
    )


async def waiting(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    """The waitlist in order, each row locked so two promoters never hold the same request."""
    return await conn.fetch(
        """SELECT * FROM placements WHERE status = 'requested'
           ORDER BY level_rank DESC, requested_at, id
           LIMIT $1 FOR UPDATE SKIP LOCKED""",
        limit,
    )


async def list_waitlist(
    conn: asyncpg.Connection, *, countries: list[str] | None, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int]:
    rows = await conn.fetch(
        """SELECT id, case_id, level, country, adults, children_ages, accessibility_needs, requested_at,
                  relocation_of,
                  row_number() OVER (ORDER BY level_rank DESC, requested_at, id) AS position,
                  count(*) OVER () AS total
           FROM placements WHERE status = 'requested'
           ORDER BY level_rank DESC, requested_at, id""",
    )
    # Position is in the whole network's queue; the filter only hides rows.
    visible = [r for r in rows if countries is None or r["country"] in countries]
    return visible[offset : offset + limit], len(visible)


async def expiring_holds(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, case_id, shelter_id FROM placements
           WHERE status = 'held' AND hold_expires_at <= $1
           ORDER BY hold_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
        now,
        limit,
    )


async def active_in_shelter(conn: asyncpg.Connection, shelter_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM placements WHERE shelter_id = $1 AND status IN ('held', 'confirmed', 'checked_in')
           ORDER BY level_rank DESC, requested_at FOR UPDATE""",
        shelter_id,
    )


async def open_for_case(conn: asyncpg.Connection, case_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM placements WHERE case_id = $1 AND status IN ('requested', 'held', 'confirmed')
           FOR UPDATE""",
        case_id,
    )


# --- availability and capacity ----------------------------------------------------------


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
