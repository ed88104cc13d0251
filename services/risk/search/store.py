"""SQL of the name index: tokens per case, the backfill's work list, the search, its audit."""

from __future__ import annotations

import uuid

import asyncpg

from services.risk.cases.store import CASE_COLUMNS


async def replace_tokens(
    conn: asyncpg.Connection, case_id: uuid.UUID, token_hmacs: list[bytes], key_id: str
) -> None:
    await conn.execute("DELETE FROM case_name_tokens WHERE case_id = $1", case_id)
    await conn.executemany(
        "INSERT INTO case_name_tokens (case_id, token_hmac) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        [(case_id, t) for t in token_hmacs],
    )
    await conn.execute(
        """INSERT INTO case_name_indexed (case_id, key_id) VALUES ($1, $2)
           ON CONFLICT (case_id) DO UPDATE SET key_id = EXCLUDED.key_id, indexed_at = clock_timestamp()""",
        case_id,
        key_id,
    )


async def unindexed(conn: asyncpg.Connection, key_id: str, limit: int) -> list[asyncpg.Record]:
    """Cases with no tokens under ``key_id``, locked (several replicas share the work)."""
    return await conn.fetch(
        """SELECT c.id, c.personal, c.personal_data FROM cases c
           WHERE NOT EXISTS (SELECT 1 FROM case_name_indexed i WHERE i.case_id = c.id AND i.key_id = $1)
           ORDER BY c.opened_at LIMIT $2 FOR UPDATE OF c SKIP LOCKED""",
        key_id,
        limit,
    )


async def search(
    conn: asyncpg.Connection,
    *,
    token_hmacs: list[bytes],
    countries: list[str] | None,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    """Cases holding every token, in the countries (None: all), newest first."""
    matching = """SELECT case_id FROM case_name_tokens WHERE token_hmac = ANY($1::bytea[])
                  GROUP BY case_id HAVING count(*) = $2"""
    # Only active personal data: a blocked or erased case has no tokens (the trigger and the
    # backfill see to it); the condition says so once more.
    where = f"id IN ({matching}) AND ($3::text[] IS NULL OR country = ANY($3)) AND personal_data = 'active'"
    rows = await conn.fetch(
        f"SELECT {CASE_COLUMNS} FROM cases WHERE {where} ORDER BY opened_at DESC, id LIMIT $4 OFFSET $5",
        token_hmacs,
        len(token_hmacs),
        countries,
        limit,
        offset,
    )
    total = await conn.fetchval(
        f"SELECT count(*) FROM cases WHERE {where}", token_hmacs, len(token_hmacs), countries
    )
    return rows, total


async def audit_search(conn: asyncpg.Connection, *, actor: str, action: str, result_count: int) -> None:
    await conn.execute(
        "INSERT INTO audit_log (actor, action, case_id, result_count) VALUES ($1, $2, NULL, $3)",
        actor,
        action,
        result_count,
    )
