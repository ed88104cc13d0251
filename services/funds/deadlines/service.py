"""The overdue job: one ApplicationOverdue per application that passed its decision
deadline undecided (the deadline itself is fixed at opening: ``domain.deadlines``)."""

from __future__ import annotations

from datetime import UTC, datetime

from services.funds.deadlines import store
from services.funds.events import event
from shared.events import ApplicationOverdue
from shared.logging import get_logger
from shared.outbox import enqueue
from shared.runtime import Runtime

log = get_logger(__name__)


async def emit_overdue(rt: Runtime) -> None:
    """Periodic job: announce each newly overdue application once."""
    async with rt.pool.acquire() as conn, conn.transaction():
        rows = await store.claim_overdue(conn, datetime.now(UTC))
        await enqueue(
            conn,
            *[
                event(
                    ApplicationOverdue(application_id=r["id"], track=r["track"], due_at=r["due_at"]),
                    r["case_id"],
                )
                for r in rows
            ],
        )
    if rows:
        log.info("applications.overdue", count=len(rows))
