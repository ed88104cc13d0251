"""SQL of the waitlist: requests waiting for beds, in order (``domain.waitlist``)."""

from __future__ import annotations

import uuid

import asyncpg


async def mark_waitlisted(conn: asyncpg.Connection, placement_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE placements SET waitlisted = true, updated_at = now() WHERE id = $1", placement_id
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
                  row_number() OVER (ORDER BY level_rank DESC, requested_at, id) AS position
           FROM placements WHERE status = 'requested'
           ORDER BY level_rank DESC, requested_at, id""",
    )
    # Position is in the whole network's queue; the filter only hides rows.
    visible = [r for r in rows if countries is None or r["country"] in countries]
    return visible[offset : offset + limit], len(visible)
