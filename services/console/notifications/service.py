"""Use cases of the notices: raised and cleared by events (``services/console/handlers.py``),
read by the panel, dismissed by a person."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from services.console.accounts.schemas import Account
from services.console.notifications import rules, store
from shared.consumer import EventContext
from shared.events import (
    ApplicationApproved,
    ApplicationOpened,
    AssessmentRecorded,
    Envelope,
    PlacementHeld,
    ReassessmentDue,
)

# Without a due time in the event (one written before it carried it), the shortest rule.
EMERGENCY_HOURS = 24
HOLD_ENDS = ("hold_expiring",)
APPLICATION_ENDS = ["emergency_due", "ratification_waiting"]


class Notice(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    kind: rules.Kind
    subject_id: uuid.UUID
    case_id: uuid.UUID | None
    country: str
    due_at: datetime


# --- from events (each in the consumer's transaction) -------------------------------------


async def hold_placed(ctx: EventContext, event: Envelope[PlacementHeld]) -> None:
    d = event.data
    await store.raise_notice(
        ctx.conn, kind="hold_expiring", subject_id=d.placement_id, case_id=event.case_id,
        country=d.country, due_at=d.hold_expires_at,
    )  # fmt: skip


async def hold_ended(ctx: EventContext, event: Envelope[Any]) -> None:
    """Confirmed, checked in, cancelled, expired or ended: nothing left to expire."""
    await store.clear(ctx.conn, list(HOLD_ENDS), event.data.placement_id)


async def application_opened(ctx: EventContext, event: Envelope[ApplicationOpened]) -> None:
    d = event.data
    if d.track != "emergency":
        return
    due = d.due_at or event.occurred_at + timedelta(hours=EMERGENCY_HOURS)
    await store.raise_notice(
        ctx.conn, kind="emergency_due", subject_id=d.application_id, case_id=event.case_id,
        country=d.country, due_at=due,
    )  # fmt: skip


async def application_approved(ctx: EventContext, event: Envelope[ApplicationApproved]) -> None:
    d = event.data
    await store.clear(ctx.conn, ["emergency_due"], d.application_id)
    if d.track == "emergency" and not d.ratified:
        country = await ctx.conn.fetchval(
            "SELECT country FROM notices WHERE kind = 'emergency_due' AND subject_id = $1", d.application_id
        )
        if country is not None:  # an application opened before the console listened: unknown country
            await store.raise_notice(
                ctx.conn, kind="ratification_waiting", subject_id=d.application_id,
                case_id=event.case_id, country=country, due_at=event.occurred_at,
            )  # fmt: skip
    else:
        await store.clear(ctx.conn, ["ratification_waiting"], d.application_id)


async def application_ended(ctx: EventContext, event: Envelope[Any]) -> None:
    """Rejected or closed: nothing left to decide or ratify."""
    await store.clear(ctx.conn, APPLICATION_ENDS, event.data.application_id)


async def reassessment_due(ctx: EventContext, event: Envelope[ReassessmentDue]) -> None:
    if event.case_id is None:
        return
    await store.raise_notice(
        ctx.conn, kind="reassessment_due", subject_id=event.case_id, case_id=event.case_id,
        country=event.data.country, due_at=event.data.due_since,
    )  # fmt: skip


async def assessment_recorded(ctx: EventContext, event: Envelope[AssessmentRecorded]) -> None:
    if event.case_id is not None:
        await store.clear(ctx.conn, ["reassessment_due"], event.case_id)


async def case_closed(ctx: EventContext, event: Envelope[Any]) -> None:
    if event.case_id is not None:
        await store.clear_case(ctx.conn, event.case_id)


# --- for people -----------------------------------------------------------------------------


def _for(account_roles, account_countries, rows, now: datetime) -> list[Notice]:
    return [
        Notice(
            id=r["id"],
            kind=r["kind"],
            subject_id=r["subject_id"],
            case_id=r["case_id"],
            country=r["country"],
            due_at=r["due_at"],
        )
        for r in rows
        if rules.concerns(r["kind"], r["country"], account_roles, account_countries)
        and rules.is_shown(r["kind"], r["due_at"], r["cleared_at"] is not None, now)
    ]


async def for_account(rt, account: Account, now: datetime | None = None) -> list[Notice]:
    """What this person should look at now, soonest first."""
    now = now or datetime.now(UTC)
    kinds = rules.kinds_for(account.roles)
    if not kinds:
        return []
    countries = None if "admin" in account.roles else list(account.countries)
    async with rt.pool.acquire() as conn:
        rows = await store.shown(
            conn, kinds=list(kinds), countries=countries, account_id=uuid.UUID(account.id), now=now
        )
    return _for(account.roles, account.countries, rows, now)


async def dismiss(rt, account: Account, notice_id: uuid.UUID) -> None:
    async with rt.pool.acquire() as conn:
        exists = await conn.fetchval("SELECT true FROM notices WHERE id = $1", notice_id)
        if exists:
            await store.dismiss(conn, uuid.UUID(account.id), notice_id)
