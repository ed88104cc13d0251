"""SQL of the case projection (risk owns cases; this is what funds learned of them)."""

from __future__ import annotations

import uuid

import asyncpg


async def get(conn: asyncpg.Connection, case_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, country, status FROM cases WHERE id = $1", case_id)


async def opened(conn: asyncpg.Connection, case_id: uuid.UUID, country: str, learned_from: str) -> None:
    """The opening is the authority on the country; it never reopens a closed case."""
    await conn.execute(
        """INSERT INTO cases (id, country, learned_from) VALUES ($1, $2, $3)
           ON CONFLICT (id) DO UPDATE SET country = EXCLUDED.country, updated_at = now()""",
        case_id,
        country,
        learned_from,
    )


async def seen(conn: asyncpg.Connection, case_id: uuid.UUID, country: str, learned_from: str) -> None:
    """A case first heard of in a later event (a stream older than this projection)."""
    await conn.execute(
        "INSERT INTO cases (id, country, learned_from) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        case_id,
        country,
        learned_from,
    )


async def closed(
    conn: asyncpg.Connection, case_id: uuid.UUID, country: str | None, learned_from: str
) -> bool:
    """Mark the case closed; False when it is unknown and the event did not say its country."""
    if country is None:
        done = await conn.execute(
            "UPDATE cases SET status = 'closed', updated_at = now() WHERE id = $1", case_id
        )
        return done != "UPDATE 0"
    await conn.execute(
        """INSERT INTO cases (id, country, status, learned_from) VALUES ($1, $2, 'closed', $3)
           ON CONFLICT (id) DO UPDATE SET status = 'closed', updated_at = now()""",
        case_id,
        country,
        learned_from,
    )
    return True
