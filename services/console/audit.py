"""The console's own audit log: what admins did here (accounts, dead letters), who and when.

Risk keeps the audit log of personal-data reads and shelters that of addresses shown; the
console's audit page shows all three, merged newest first (``pages/admin_audit.py``)."""

from __future__ import annotations

from datetime import datetime

import asyncpg


async def record(
    executor, *, actor: str, action: str, target: str | None = None, detail: str | None = None
) -> None:
    await executor.execute(
        "INSERT INTO admin_audit (actor, action, target, detail) VALUES ($1, $2, $3, $4)",
        actor,
        action,
        target,
        detail,
    )


async def search(
    pool: asyncpg.Pool,
    *,
    actor: str | None,
    action: str | None,
    target: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
) -> list[asyncpg.Record]:
    """Newest first; ``until`` is exclusive (the next page starts before the last row's time)."""
    return await pool.fetch(
        "SELECT id, at, actor, action, target, detail FROM admin_audit "
        "WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR action = $2) "
        "AND ($3::text IS NULL OR target = $3) AND ($4::timestamptz IS NULL OR at >= $4) "
        "AND ($5::timestamptz IS NULL OR at < $5) ORDER BY at DESC, id DESC LIMIT $6",
        actor,
        action,
        target,
        since,
        until,
        limit,
    )
