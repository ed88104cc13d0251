"""Use cases of the timeline: follow every event of shelters and funds into the timelines
of the cases it names, and show one case's timeline in causal order."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from services.risk.cases import store as cases_store
from services.risk.cases.service import case_in_scope, is_due
from services.risk.domain import reassessment
from services.risk.domain.timeline import StepRow, build_steps, cases_of, summary_for
from services.risk.timeline import store
from services.risk.timeline.schemas import Timeline
from shared.auth import Principal
from shared.events import Envelope
from shared.logging import get_logger
from shared.runtime import Runtime

log = get_logger(__name__)


async def follow(conn: asyncpg.Connection, event: Envelope[Any]) -> None:
    """A step in the timeline of each case the event names (with the id of the event that
    caused it, for the causal order), and a re-assessment mark after the events that may
    make her measures wrong. Runs in the consumer's transaction."""
    summary = summary_for(event)
    reason = reassessment.MARKING_EVENTS.get(event.type)
    for case_id in cases_of(event):
        if not await cases_store.case_exists(conn, case_id):
            # Not one of ours (another deployment's test data, or a case id typed by hand):
            # skipped, never dead-lettered.
            log.warning("timeline.unknown_case", event_type=event.type)
            continue
        await store.add_event_step(conn, case_id, event, summary)
        if reason is not None:
            await cases_store.mark_due(conn, case_id=case_id, reason=reason, source_id=event.id)


async def read(rt: Runtime, principal: Principal, case_id: uuid.UUID) -> Timeline:
    async with rt.pool.acquire() as conn:
        case = await case_in_scope(conn, principal, case_id)
        rows = await store.steps(conn, case_id)
        due = await is_due(conn, case_id, rt.config.reassessment_days)
    steps = build_steps(
        case["opened_at"],
        [
            StepRow(
                id=r["step_id"],
                type=r["type"],
                occurred_at=r["occurred_at"],
                service=r["service"],
                summary=r["summary"],
                causation_id=r["causation_id"],
            )
            for r in rows
        ],
    )
    return Timeline(
        case_id=case_id,
        status=case["status"],
        level=case["level"],
        current_step=steps[-1].type if steps else None,
        reassessment_due=due,
        steps=steps,
    )
