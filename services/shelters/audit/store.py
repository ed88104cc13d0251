"""SQL of the audit log: one row per shelter revealed, and the admin's filtered listing."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg


async def record(conn: asyncpg.Connection, *, actor: str, action: str, object_ids: list[uuid.UUID]) -> None:
    """One row per object, in one statement (each stamped with its own clock_timestamp())."""
    await conn.execute(
        "INSERT INTO audit_log (actor, action, object_id) SELECT $1, $2, unnest($3::uuid[])",
        actor,
        action,
        object_ids,
    )


async def list_audit(
    conn: asyncpg.Connection,
    *,
    object_id: uuid.UUID | None,
    actor: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> tuple[list[asyncpg.Record], int]:
    where = (
        "($1::uuid IS NULL OR object_id = $1) AND ($2::text IS NULL OR actor = $2) "
        "AND ($3::text IS NULL OR action = $3) AND ($4::timestamptz IS NULL OR at >= $4) "
        "AND ($5::timestamptz IS NULL OR at < $5)"
    )
    args = (object_id, actor, action, since, until)
    rows = await conn.fetch(
        f"SELECT id, at, actor, action, object_id FROM audit_log WHERE {where} "
        "ORDER BY at DESC, id DESC LIMIT $6 OFFSET $7",
        *args,
        limit,
        offset,
    )
    total = await conn.fetchval(f"SELECT count(*) FROM audit_log WHERE {where}", *args)
    return rows, total
