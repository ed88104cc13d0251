"""SQL of the timeline: one row per step of a case (the event's id is the step's id)."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from shared.events import Envelope


async def add_step(
    conn: asyncpg.Connection,
    *,
    case_id: uuid.UUID,
    step_id: uuid.UUID,
    type: str,
    occurred_at: datetime,
    service: str,
    summary: str,
    causation_id: uuid.UUID | None = None,
) -> None:
    # A redelivered event (or a replayed stream) finds its step and adds nothing.
    await conn.execute(
        """INSERT INTO timeline (case_id, step_id, type, occurred_at, service, summary, causation_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING""",
        case_id,
        step_id,
        type,
        occurred_at,
        service,
        summary,
        causation_id,
    )


async def add_event_step(conn: asyncpg.Connection, case_id: uuid.UUID, event: Envelope, summary: str) -> None:
    await add_step(
        conn,
        case_id=case_id,
        step_id=event.id,
        type=event.type,
        occurred_at=event.occurred_at,
        service=event.producer,
        summary=summary,
        causation_id=event.causation_id,
    )


async def add_event_steps(
    conn: asyncpg.Connection, case_id: uuid.UUID, steps: list[tuple[Envelope, str]]
) -> None:
    """Several of the case's own events' steps in one statement (the intake's)."""
    await conn.execute(
        """INSERT INTO timeline (case_id, step_id, type, occurred_at, service, summary, causation_id)
           SELECT $1, s.* FROM unnest($2::uuid[], $3::text[], $4::timestamptz[], $5::text[], $6::text[],
                                      $7::uuid[]) AS s
           ON CONFLICT DO NOTHING""",
        case_id,
        [e.id for e, _ in steps],
        [e.type for e, _ in steps],
        [e.occurred_at for e, _ in steps],
        [e.producer for e, _ in steps],
        [summary for _, summary in steps],
        [e.causation_id for e, _ in steps],
    )


async def add_skipped_step(
    conn: asyncpg.Connection, case_id: uuid.UUID, cause: Envelope, purpose: str, summary: str
) -> None:
    """An automatic action the assessment called for that her consents do not allow: a step
    of its own, caused by the assessment (its id derived from it, so it is written once)."""
    await add_step(
        conn,
        case_id=case_id,
        step_id=uuid.uuid5(cause.id, f"consent-withheld:{purpose}"),
        type=f"amparo.risk.consent.withheld.{purpose}",
        occurred_at=cause.occurred_at,
        service="risk",
        summary=summary,
        causation_id=cause.id,
    )


async def steps(conn: asyncpg.Connection, case_id: uuid.UUID) -> list[asyncpg.Record]:
    # seq breaks ties in time: the order the steps were written.
    return await conn.fetch(
        """SELECT step_id, type, occurred_at, service, summary, causation_id FROM timeline
           WHERE case_id = $1 ORDER BY occurred_at, seq""",
        case_id,
    )
