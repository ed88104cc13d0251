"""Telling the network that a case became due for a new assessment.

The rule stays ``domain/reassessment.py``; this job, every ``ANNOUNCE_EVERY_SECONDS``,
writes one ``ReassessmentDue`` event (and a timeline step) per case and moment it became
due, so the console can tell her analysts without anyone polling the due list by hand.
A case whose assessment only aged is announced as soon as the job runs past that moment.
"""

from __future__ import annotations

from services.risk.cases import store
from services.risk.cases.service import due_of, own_event
from services.risk.domain import reassessment
from services.risk.timeline import store as timeline
from shared.events import ReassessmentDue
from shared.logging import get_logger
from shared.outbox import enqueue
from shared.runtime import Runtime

log = get_logger(__name__)

ANNOUNCE_EVERY_SECONDS = 300.0


async def announce_due(rt: Runtime) -> int:
    """Announce every case that became due and was not announced for that moment; returns
    how many were announced."""
    announced = 0
    async with rt.pool.acquire() as conn, conn.transaction():
        rows = await store.due_candidates(conn, ageing_levels=list(reassessment.AGEING_LEVELS))
        for row in rows:
            due = due_of(row, rt.config.reassessment_days)
            if due is None or not await store.note_announced(conn, row["id"], due.since):
                continue
            event = own_event(
                ReassessmentDue(country=row["country"], reasons=list(due.reasons), due_since=due.since),
                case_id=row["id"],
                at=row["now"],
            )
            await enqueue(conn, event)
            await timeline.add_event_step(
                conn, row["id"], event, f"re-assessment due ({', '.join(due.reasons)})"
            )
            announced += 1
    if announced:
        log.info("reassessment.announced", cases=announced)
    return announced


async def announce_due_job(rt: Runtime) -> None:
    await announce_due(rt)
