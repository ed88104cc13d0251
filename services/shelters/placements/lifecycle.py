"""A placement after its hold: confirm, change the stay, check in (which ends the stay a
relocated family left), check out, cancel; a closed case; the periodic hold expiry.
Whatever frees beds hands them to the waitlist, and the holds it gives name the event
that freed them as their cause."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from services.shelters import events
from services.shelters.config import SheltersConfig
from services.shelters.domain import lifecycle as rules
from services.shelters.placements import schemas, store
from services.shelters.placements.holds import utcnow
from services.shelters.placements.service import check_visible, placement_out
from services.shelters.waitlist.service import promote_tx
from shared.auth import Principal
from shared.db import retry_transaction
from shared.errors import Conflict, Invalid
from shared.events import (
    CaseClosed,
    ConsentRevoked,
    Envelope,
    PlacementCancelled,
    PlacementCheckedIn,
    PlacementConfirmed,
    PlacementEnded,
    PlacementExpired,
)
from shared.logging import get_logger
from shared.outbox import enqueue

log = get_logger(__name__)
EXPIRY_BATCH = 200


def _wrong_state(p: asyncpg.Record, action: str, target: str) -> Conflict:
    allowed = rules.states_before(target)
    return Conflict(
        f"cannot {action} this placement: it is '{p['status']}', "
        f"and only a placement that is {' or '.join(allowed)} can be {target.replace('_', ' ')}",
        code="placement.wrong_state",
        extra={"placement_status": p["status"]},
    )


async def _load_for_change(conn, principal: Principal, placement_id: uuid.UUID) -> asyncpg.Record:
    return check_visible(principal, await store.get_placement(conn, placement_id, lock=True))


async def _change_end_tx(conn, p: asyncpg.Record, body: schemas.Confirm, now: datetime) -> datetime:
    """Move the end of the stay; the beds must be free until then (else 409)."""
    if body.expected_end is not None and body.stay_days is not None:
        raise Invalid("give either 'expected_end' or 'stay_days', not both", code="stay.both_given")
    end = rules.stay_end(
        p["starts_at"], p["expected_end"], expected_end=body.expected_end, stay_days=body.stay_days
    )
    if end <= now:
        raise Invalid("the expected end of the stay must be in the future", code="stay.end_in_past")
    if end != p["expected_end"]:
        try:
            async with conn.transaction():
                await store.set_allocation_end(conn, p["id"], end)
        except asyncpg.ExclusionViolationError:
            raise Conflict(
                "the beds are booked by another placement or out of service before that end date; "
                "choose a shorter stay",
                code="stay.beds_booked",
            ) from None
    return end


async def confirm(
    rt, principal: Principal, placement_id: uuid.UUID, body: schemas.Confirm
) -> schemas.Placement:
    """The hold is taken up: it no longer expires; the stay may get its length here."""

    async def work(conn) -> asyncpg.Record:
        p = await _load_for_change(conn, principal, placement_id)
        now = utcnow()  # after the lock: a wait for it must not date the change earlier
        if not rules.can_transition(p["status"], "confirmed"):
            raise _wrong_state(p, "confirm", "confirmed")
        if rules.hold_expired(p["hold_expires_at"], now):
            raise Conflict(
                f"the hold expired at {p['hold_expires_at'].isoformat()}; request a new placement",
                code="placement.hold_expired",
            )
        end = await _change_end_tx(conn, p, body, now)
        await store.set_status(conn, placement_id, "confirmed", now, expected_end=end)
        confirmed = events.new(
            PlacementConfirmed(placement_id=placement_id, shelter_id=p["shelter_id"]),
            case_id=p["case_id"],
            causation=None,
        )
        await enqueue(conn, confirmed)
        if end < p["expected_end"]:
            await promote_tx(conn, rt.config, causation=confirmed)
        return await store.get_placement(conn, placement_id)

    return placement_out(await retry_transaction(rt.pool, work))


async def change_stay(
    rt, principal: Principal, placement_id: uuid.UUID, body: schemas.Confirm
) -> schemas.Placement:
    """Shorten or extend a confirmed or current stay."""

    async def work(conn) -> asyncpg.Record:
        p = await _load_for_change(conn, principal, placement_id)
        now = utcnow()  # after the lock: a wait for it must not date the change earlier
        if p["status"] not in ("confirmed", "checked_in"):
            raise Conflict(
                f"this placement is '{p['status']}'; only a confirmed or checked-in stay can change "
                "its end (confirm a hold with 'stay_days' instead)",
                code="placement.wrong_state",
                extra={"placement_status": p["status"]},
            )
        if body.expected_end is None and body.stay_days is None:
            raise Invalid("give 'expected_end' or 'stay_days'", code="stay.none_given")
        end = await _change_end_tx(conn, p, body, now)
        await store.set_expected_end(conn, placement_id, end, now)
        if end < p["expected_end"]:
            await promote_tx(conn, rt.config, causation=None)
        return await store.get_placement(conn, placement_id)

    return placement_out(await retry_transaction(rt.pool, work))


async def check_in(rt, principal: Principal, placement_id: uuid.UUID) -> schemas.Placement:
    """The family has arrived. When it arrives at a relocation, the stay it had to leave
    ends as relocated (up the chain, when an earlier relocation target was compromised
    too before the family got there)."""

    async def work(conn) -> asyncpg.Record:
        p = await _load_for_change(conn, principal, placement_id)
        now = utcnow()  # after the lock: a wait for it must not date the change earlier
        if not rules.can_transition(p["status"], "checked_in"):
            raise _wrong_state(p, "check in", "checked_in")
        await store.set_status(conn, placement_id, "checked_in", now)
        arrived = events.new(
            PlacementCheckedIn(placement_id=placement_id, shelter_id=p["shelter_id"]),
            case_id=p["case_id"],
            causation=None,
        )
        await enqueue(conn, arrived)
        previous, seen = p["relocation_of"], set()
        while previous is not None and previous not in seen:
            seen.add(previous)
            old = await store.get_placement(conn, previous, lock=True)
            if old is None:
                break
            if old["status"] == "checked_in":
                await end_tx(conn, old, now, reason="relocated", causation=arrived)
                break
            previous = old["relocation_of"]
        return await store.get_placement(conn, placement_id)

    return placement_out(await retry_transaction(rt.pool, work))


async def end_tx(
    conn, p: asyncpg.Record, now: datetime, *, reason: str, causation: Envelope | None
) -> Envelope[PlacementEnded]:
    """The stay is over (checked out, or the family moved to its relocation): beds free up."""
    await store.release_allocations(conn, p["id"], now)
    await store.set_status(conn, p["id"], "ended", now, end_reason=reason)
    ended = events.new(
        PlacementEnded(placement_id=p["id"], shelter_id=p["shelter_id"], reason=reason),
        case_id=p["case_id"],
        causation=causation,
    )
    await enqueue(conn, ended)
    return ended


async def check_out(rt, principal: Principal, placement_id: uuid.UUID) -> schemas.Placement:
    """The family has left: the stay ends, and its beds go to the waitlist."""

    async def work(conn) -> asyncpg.Record:
        p = await _load_for_change(conn, principal, placement_id)
        now = utcnow()  # after the lock: a wait for it must not date the change earlier
        if not rules.can_transition(p["status"], "ended"):
            raise _wrong_state(p, "check out", "ended")
        ended = await end_tx(conn, p, now, reason="checked_out", causation=None)
        await promote_tx(conn, rt.config, causation=ended)
        return await store.get_placement(conn, placement_id)

    return placement_out(await retry_transaction(rt.pool, work))


async def cancel_tx(
    conn, p: asyncpg.Record, now: datetime, reason: str, causation: Envelope | None
) -> Envelope[PlacementCancelled] | None:
    """Cancel; the cancellation when it freed beds (the cause of any hold they then give)."""
    freed = await store.release_allocations(conn, p["id"], now)
    await store.set_status(conn, p["id"], "cancelled", now, end_reason=reason)
    cancelled = events.new(
        PlacementCancelled(placement_id=p["id"], reason=reason), case_id=p["case_id"], causation=causation
    )
    await enqueue(conn, cancelled)
    return cancelled if freed > 0 else None


async def cancel(
    rt, principal: Principal, placement_id: uuid.UUID, body: schemas.Cancel
) -> schemas.Placement:
    """Staff cancel a request, hold or confirmed placement (before check-in)."""

    async def work(conn) -> asyncpg.Record:
        p = await _load_for_change(conn, principal, placement_id)
        now = utcnow()  # after the lock: a wait for it must not date the change earlier
        if not rules.can_transition(p["status"], "cancelled"):
            raise _wrong_state(p, "cancel", "cancelled")
        freed_by = await cancel_tx(conn, p, now, body.reason, None)
        if freed_by is not None:
            await promote_tx(conn, rt.config, causation=freed_by)
        return await store.get_placement(conn, placement_id)

    return placement_out(await retry_transaction(rt.pool, work))


async def on_case_closed(conn, config: SheltersConfig, event: Envelope[CaseClosed]) -> None:
    """The case is closed: its requests, holds and confirmed placements are cancelled
    (a family already checked in is left to staff to check out)."""
    if event.case_id is None:
        return
    now = utcnow()
    freed_by = None
    for p in await store.open_for_case(conn, event.case_id):
        freed_by = await cancel_tx(conn, p, now, "case_closed", event) or freed_by
    if freed_by is not None:
        await promote_tx(conn, config, causation=freed_by)


async def on_consent_revoked(conn, config: SheltersConfig, event: Envelope[ConsentRevoked]) -> None:
    """She no longer shares her case with shelters: what has not happened yet stops. Her
    requests (waitlist), holds and confirmed placements are cancelled, each naming the
    revocation; a family already checked in stays (taking her out of a safe bed is a
    decision for staff with her, not an automatic one)."""
    if event.case_id is None or event.data.purpose != "shelters":
        return
    now = utcnow()
    freed_by = None
    for p in await store.open_for_case(conn, event.case_id):
        freed_by = await cancel_tx(conn, p, now, "consent_revoked", event) or freed_by
    if freed_by is not None:
        await promote_tx(conn, config, causation=freed_by)


async def expire_holds_tx(conn, config: SheltersConfig, *, now: datetime | None = None) -> int:
    """Unconfirmed holds past their expiry free their beds, for the waitlist."""
    now = now or utcnow()
    rows = await store.expiring_holds(conn, now, EXPIRY_BATCH)
    expired = None
    for p in rows:
        await store.release_allocations(conn, p["id"], now)
        await store.set_status(conn, p["id"], "expired", now, end_reason="hold_expired")
        expired = events.new(
            PlacementExpired(placement_id=p["id"], shelter_id=p["shelter_id"]),
            case_id=p["case_id"],
            causation=None,
        )
        await enqueue(conn, expired)
    if expired is not None:
        log.info("placement.holds_expired", count=len(rows))
        # One pass of the waitlist for the whole batch; its holds name the last expiry.
        await promote_tx(conn, config, causation=expired)
    return len(rows)


async def extend_overstays_tx(conn, *, now: datetime | None = None) -> int:
    """A family still checked in after its expected end keeps its beds one day at a time,
    so no hold is ever placed on a bed somebody is sleeping in."""
    now = now or utcnow()
    until = rules.overstay_until(now)
    extended = 0
    for r in await store.overstays(conn, until):
        try:
            async with conn.transaction():
                await store.set_allocation_end(conn, r["placement_id"], until)
            extended += 1
        except asyncpg.ExclusionViolationError:
            log.warning("placement.overstay_conflict", placement_id=str(r["placement_id"]))
    return extended


async def expire_holds(rt) -> None:
    """Periodic job: unconfirmed holds past their expiry free their beds; overstays keep theirs."""
    async with rt.pool.acquire() as conn, conn.transaction():
        await expire_holds_tx(conn, rt.config)
        await extend_overstays_tx(conn)
