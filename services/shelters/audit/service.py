"""Use cases of the audit log: write the reveals of shelters' addresses and contacts (in
the caller's transaction, so a row commits with the answer that revealed or not at all),
and list them for admins."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime

import asyncpg

from services.shelters.audit import store
from services.shelters.audit.schemas import AuditEntry
from shared.audit_log import check_range
from shared.auth import Principal
from shared.pagination import Page

# A shelter's address and contact shown to someone (they are decrypted together).
ADDRESS_READ = "shelter.address.read"


async def record_reveals(
    conn: asyncpg.Connection, principal: Principal, shelter_ids: Iterable[uuid.UUID]
) -> None:
    """One row per shelter whose address and contact ``principal`` is being shown."""
    ids = list(dict.fromkeys(shelter_ids))
    if ids:
        await store.record(conn, actor=principal.sub, action=ADDRESS_READ, object_ids=ids)


async def audit_log(
    rt,
    *,
    object_id: uuid.UUID | None,
    actor: str | None,
    action: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> Page[AuditEntry]:
    check_range(since, until)
    async with rt.pool.acquire() as conn:
        rows, total = await store.list_audit(
            conn,
            object_id=object_id,
            actor=actor,
            action=action,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
        )
    return Page(items=[AuditEntry(**dict(r)) for r in rows], total=total, limit=limit, offset=offset)
