"""SQL of a compromise: who is in the shelter, and marking them for relocation."""

from __future__ import annotations

import uuid

import asyncpg

from services.shelters.domain.lifecycle import KEEPS_BEDS


async def active_in_shelter(conn: asyncpg.Connection, shelter_id: uuid.UUID) -> list[asyncpg.Record]:
    """Everyone the shelter keeps beds for (arrived or not), highest risk first, locked."""
    return await conn.fetch(
        """SELECT * FROM placements WHERE shelter_id = $1 AND status = ANY($2::text[])
           ORDER BY level_rank DESC, requested_at FOR UPDATE""",
        shelter_id,
        list(KEEPS_BEDS),
    )


async def mark_needs_relocation(conn: asyncpg.Connection, placement_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE placements SET needs_relocation = true, updated_at = now() WHERE id = $1", placement_id
    )
