"""SQL of placements: requests, the beds they hold (allocations), and the matching reads
that find free beds. No rules here, only reads and writes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from services.shelters.domain.beds import BedSlot
from services.shelters.domain.lifecycle import ACTIVE
from services.shelters.domain.matching import Candidate
from shared.pagination import known_total

ACTIVE_STATES = list(ACTIVE)

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
) -> asyncpg.Record:
    """The new request's row (the hold engine reads it next)."""
    return await conn.fetchrow(
        """INSERT INTO placements (id, case_id, country, region, adults, children_ages, accessibility_needs,
                                   level, level_rank, excluded_regions, stay_days, source, assessment_id,
                                   relocation_of, requested_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)
           RETURNING *""",
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
    total = known_total(len(rows), limit=limit, offset=offset)
    if total is None:
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
                waitlisted = false, review_reason = NULL
            WHERE id = $1""",
        placement_id,
        status,
        now,
        end_reason,
        expected_end,
    )


async def open_for_case(conn: asyncpg.Connection, case_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT * FROM placements WHERE case_id = $1 AND status IN ('requested', 'held', 'confirmed')
           FOR UPDATE""",
        case_id,
    )


async def expiring_holds(conn: asyncpg.Connection, now: datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        """SELECT id, case_id, shelter_id FROM placements
           WHERE status = 'held' AND hold_expires_at <= $1
           ORDER BY hold_expires_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
        now,
        limit,
    )


# Open shelters with their free beds of each kind for a window, two ways to the same
# rows (tests/shelters/integration/test_free_beds.py). Her country's few shelters probe
# their own stays (shelters 0006's index on active stays by shelter); OFFSET 0 keeps the
# probe per shelter, which the planner would otherwise flatten into one read of every
# active stay of the window (its estimate of stays from now on comes from statistics of
# past ones, ~0). The other countries' many shelters read the window's stays once.
# Measured with 2,500 to 3,300 active stays: her country's 40 shelters 3.0 -> 2.0 ms; the
# other 160, 4.4 ms by one read against 5.5 by probes.
_CANDIDATES = """WITH candidates AS (
       SELECT s.id, s.code, s.country, s.region, s.accepts, s.accessible FROM shelters s
       WHERE s.status = 'open'
         AND NOT (s.id = ANY($3::uuid[]))
         AND ($4::text IS NULL OR (s.country = $4) = $5)),
   busy AS ({busy})
   SELECT c.id, c.code, c.country, c.region, c.accepts, c.accessible,
          count(*) FILTER (WHERE NOT b.child_sized) AS free_regular,
          count(*) FILTER (WHERE NOT b.child_sized AND b.accessible) AS free_regular_accessible,
          count(*) FILTER (WHERE b.child_sized) AS free_child
   FROM candidates c JOIN beds b ON b.shelter_id = c.id
   WHERE NOT EXISTS (SELECT 1 FROM busy WHERE busy.bed_id = b.id)
   GROUP BY c.id, c.code, c.country, c.region, c.accepts, c.accessible"""
HOME_CANDIDATES_SQL = _CANDIDATES.format(
    busy="""SELECT DISTINCT stays.bed_id FROM candidates c
       CROSS JOIN LATERAL (SELECT a.bed_id FROM bed_allocations a
                           WHERE a.active AND a.shelter_id = c.id AND a.during && tstzrange($1, $2)
                           OFFSET 0) stays"""
)
CANDIDATES_SQL = _CANDIDATES.format(
    busy="""SELECT DISTINCT a.bed_id FROM bed_allocations a
       WHERE a.active AND a.during && tstzrange($1, $2)"""
)


async def candidates(
    conn: asyncpg.Connection,
    start: datetime,
    end: datetime,
    *,
    skip: Sequence[uuid.UUID] = (),
    country: str | None = None,
    home: bool = True,
) -> list[Candidate]:
    """Open shelters with how many beds of each kind are free for all of [start, end):
    one row per shelter, computed as availability is. With ``country``, only the shelters
    in it (``home``) or only those outside it."""
    rows = await conn.fetch(
        HOME_CANDIDATES_SQL if country is not None and home else CANDIDATES_SQL,
        start,
        end,
        list(skip),
        country,
        home,
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


FREE_BEDS_SQL = """SELECT b.id, b.child_sized, b.accessible FROM beds b
WHERE b.shelter_id = $1
  AND NOT EXISTS (SELECT 1 FROM bed_allocations a
                  WHERE a.active AND a.shelter_id = $1 AND a.bed_id = b.id AND a.during && tstzrange($2, $3))"""


async def free_beds(
    conn: asyncpg.Connection, shelter_id: uuid.UUID, start: datetime, end: datetime
) -> list[BedSlot]:
    """The beds of one shelter free for all of [start, end) (read under its lock), through
    this shelter's active stays only (shelters migration 0006)."""
    rows = await conn.fetch(FREE_BEDS_SQL, shelter_id, start, end)
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
    """Free the beds: the row stays (history) but leaves the exclusion and the indexes.

    The stay ends no later than the database's clock at this statement, so before this
    transaction commits, and so before any hold that finds these beds free begins
    (``try_hold_tx`` dates a hold by the same clock, read after it saw them free)."""
    result = await conn.execute(
        """UPDATE bed_allocations
           SET active = false,
               during = tstzrange(lower(during), GREATEST(LEAST(upper(during), $2, clock_timestamp()), lower(during) + interval '1 microsecond'))
           WHERE placement_id = $1 AND active""",
        placement_id,
        now,
    )
    return int(result.split()[-1])


async def set_expected_end(
    conn: asyncpg.Connection, placement_id: uuid.UUID, end: datetime, now: datetime
) -> None:
    await conn.execute(
        "UPDATE placements SET expected_end = $2, updated_at = $3 WHERE id = $1", placement_id, end, now
    )


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


async def flag_for_review(
    conn: asyncpg.Connection, placement_id: uuid.UUID, *, reason: str, level: str, level_rank: int
) -> None:
    await conn.execute(
        """UPDATE placements SET review_reason = $2, level = $3, level_rank = $4, updated_at = now()
           WHERE id = $1""",
        placement_id,
        reason,
        level,
        level_rank,
    )
