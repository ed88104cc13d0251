"""SQL of the overdue job (asyncpg, ``$n`` parameters)."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def claim_overdue(conn: asyncpg.Connection, now: datetime, batch: int = 200) -> list[asyncpg.Record]:
    """Mark undecided applications past their due time as announced, once each; replicas
    split the work (SKIP LOCKED)."""
    return list(
        await conn.fetch(
            """UPDATE applications SET overdue_emitted_at = $1
               WHERE id IN (SELECT id FROM applications
                            WHERE status IN ('pending', 'info_requested') AND due_at < $1
                              AND overdue_emitted_at IS NULL
                            ORDER BY due_at LIMIT $2 FOR UPDATE SKIP LOCKED)
               RETURNING id, case_id, track, due_at""",
            now,
            batch,
        )
    )
