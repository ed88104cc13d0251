"""Use cases of the shelters service. Each opens its transaction, applies the rules from
``domain`` through ``store``, and writes its events to the outbox in the same transaction.

The ``*_tx`` functions run inside a transaction the caller owns (an HTTP use case or the
event consumer's), so an event handler and an API call share one code path.
"""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import msgspec

from services.shelters import domain, schemas, store
from services.shelters.config import SheltersConfig as Settings
from shared.auth import Principal
from shared.db import RETRYABLE_SQLSTATES
from shared.errors import Conflict, NotFound
from shared.errors import Invalid as Unprocessable
from shared.errors import NotAllowed as Forbidden
from shared.events import (
    Envelope,
    Party,
    PlacementCancelled,
    PlacementCheckedIn,
    PlacementConfirmed,
    PlacementEnded,
    PlacementExpired,
    PlacementHeld,
    PlacementRequested,
    PlacementWaitlisted,
    ShelterCompromised,
    new_event,
)
from shared.logging import get_logger
from shared.outbox import enqueue

log = get_logger(__name__)
PRODUCER = "shelters"
WAITLIST_BATCH = 50  # waiting requests tried each time beds free up
EXPIRY_BATCH = 200


OVERSTAY_MARGIN = timedelta(days=1)


def retried(fn):
    """Re-run a use case whose transaction lost a deadlock (two holds locking shelters in
    opposite orders) or a serialization race; it has no effect outside that transaction."""

    @functools.wraps(fn)
    async def wrapper(*args, **kwargs):
        for attempt in range(1, 5):
            try:
                return await fn(*args, **kwargs)
            except asyncpg.PostgresError as exc:
                if getattr(exc, "sqlstate", None) not in RETRYABLE_SQLSTATES or attempt == 4:
                    raise
                log.info("transaction.retry", use_case=fn.__name__, attempt=attempt)
                await asyncio.sleep(0.01 * 2**attempt)
        raise AssertionError("unreachable")

    return wrapper


class _NoRoom(Exception):
    """The chosen shelter turned out to have no room once locked."""


def _now() -> datetime:
    return datetime.now(UTC)


def _event(payload, *, case_id: uuid.UUID | None, causation: Envelope | None) -> Envelope:
    return new_event(payload, producer=PRODUCER, case_id=case_id, causation=causation)


def _need(p: asyncpg.Record) -> domain.Need:
    return domain.Need(
        adults=p["adults"],
        children_ages=tuple(p["children_ages"]),
        accessible=bool(p["accessibility_needs"]),
    )


def _party(p: asyncpg.Record) -> Party:
    return Party(
        adults=p["adults"],
        children_ages=list(p["children_ages"]),
        accessibility_needs=list(p["accessibility_needs"]),
    )


# --- shelters -------------------------------------------------------------------------


def _aad(shelter_id: uuid.UUID, purpose: bytes = b"") -> bytes:
    return shelter_id.bytes + purpose


def _cipher(rt):
    if rt.cipher is None:
        raise RuntimeError("the shelters service needs AMPARO_PII_KEYS to store addresses")
    return rt.cipher


def shelter_out(rt, row: asyncpg.Record, principal: Principal | None, *, reveal: bool) -> schemas.Shelter:
    out = schemas.Shelter(
        id=row["id"],
        code=row["code"],
        kind=row["kind"],
        country=row["country"],
        region=row["region"],
        accepts=list(row["accepts"]),
        accessible=row["accessible"],
        services=list(row["services"]),
        status=row["status"],
        beds=row["beds"],
        created_at=row["created_at"],
        compromised_at=row["compromised_at"],
    )
    if reveal and principal is not None and principal.has_role("shelter_coordinator"):
        secret = _cipher(rt).decrypt_obj(row["confidential"], dict, aad=_aad(row["id"]))
        out.address = secret.get("address")
        out.contact = secret.get("contact") or None
    return out


@retried
async def create_shelter(rt, principal: Principal, body: schemas.ShelterCreate) -> schemas.Shelter:
    principal.check_country(body.country)
    shelter_id = uuid.uuid4()
    confidential = _cipher(rt).encrypt_obj(
        {"address": body.address, "contact": body.contact}, aad=_aad(shelter_id)
    )
    async with rt.pool.acquire() as conn, conn.transaction():
        try:
            await store.insert_shelter(conn, shelter_id, body, confidential)
        except asyncpg.UniqueViolationError:
            raise Conflict(
                f"a shelter with code {body.code!r} already exists; choose another code name"
            ) from None
        for batch in body.beds:
            await _add_beds_tx(conn, shelter_id, batch)
        if body.beds and body.status == "open":
            await promote_waitlist_tx(conn, rt.config)
        row = await store.get_shelter(conn, shelter_id)
    log.info("shelter.created", shelter_id=str(shelter_id), beds=row["beds"])
    return shelter_out(rt, row, principal, reveal=True)


async def get_shelter(rt, principal: Principal, shelter_id: uuid.UUID) -> schemas.Shelter:
    async with rt.pool.acquire() as conn:
        row = await store.get_shelter(conn, shelter_id)
    if row is None:
        raise NotFound(f"no shelter {shelter_id}")
    principal.check_country(row["country"])
    return shelter_out(rt, row, principal, reveal=True)


async def list_shelters(rt, principal: Principal, *, country, status, region, limit, offset):
    countries = principal.visible_countries(country)
    async with rt.pool.acquire() as conn:
        rows, total = await store.list_shelters(
            conn, countries=countries, status=status, region=region, limit=limit, offset=offset
        )
    return [shelter_out(rt, r, principal, reveal=False) for r in rows], total


async def _locked_shelter(conn, principal: Principal | None, shelter_id: uuid.UUID) -> asyncpg.Record:
    row = await store.lock_shelter(conn, shelter_id)
    if row is None:
        raise NotFound(f"no shelter {shelter_id}")
    if principal is not None:
        principal.check_country(row["country"])
    return row


async def _add_beds_tx(conn, shelter_id: uuid.UUID, batch: schemas.BedBatch) -> list[uuid.UUID]:
    room_id = await store.ensure_room(conn, shelter_id, batch.room)
    return await store.insert_beds(
        conn,
        shelter_id,
        room_id,
        batch.room,
        batch.count,
        child_sized=batch.child_sized,
        accessible=batch.accessible,
    )


@retried
async def add_beds(
    rt, principal: Principal, shelter_id: uuid.UUID, batch: schemas.BedBatch
) -> schemas.BedsAdded:
    async with rt.pool.acquire() as conn, conn.transaction():
        shelter = await _locked_shelter(conn, principal, shelter_id)
        ids = await _add_beds_tx(conn, shelter_id, batch)
        total = await store.count_beds(conn, shelter_id)
        if shelter["status"] == "open":
            await promote_waitlist_tx(conn, rt.config)
    log.info("shelter.beds_added", shelter_id=str(shelter_id), count=len(ids))
    return schemas.BedsAdded(shelter_id=shelter_id, room=batch.room, bed_ids=ids, beds_total=total)


async def list_beds(rt, principal: Principal, shelter_id: uuid.UUID) -> list[schemas.Bed]:
    async with rt.pool.acquire() as conn:
        shelter = await store.get_shelter(conn, shelter_id)
        if shelter is None:
            raise NotFound(f"no shelter {shelter_id}")
        principal.check_country(shelter["country"])
        rows = await store.list_beds(conn, shelter_id)
    return [msgspec.convert(dict(r), schemas.Bed) for r in rows]


@retried
async def add_out_of_service(
    rt, principal: Principal, shelter_id: uuid.UUID, bed_id: uuid.UUID, body: schemas.OutOfServiceCreate
) -> schemas.OutOfService:
    if body.end <= body.start:
        raise Unprocessable("'end' must be after 'start'")
    async with rt.pool.acquire() as conn, conn.transaction():
        await _locked_shelter(conn, principal, shelter_id)
        if await store.get_bed(conn, shelter_id, bed_id) is None:
            raise NotFound(f"no bed {bed_id} in shelter {shelter_id}")
        try:
            async with conn.transaction():
                period_id = await store.insert_out_of_service(
                    conn, shelter_id, bed_id, body.start, body.end, body.reason
                )
        except asyncpg.ExclusionViolationError:
            raise Conflict(
                "the bed is held, occupied or already out of service during that period; "
                "move or end that placement first, or choose other dates"
            ) from None
    return schemas.OutOfService(
        id=period_id, bed_id=bed_id, start=body.start, end=body.end, reason=body.reason
    )


async def list_out_of_service(rt, principal, shelter_id, bed_id) -> list[schemas.OutOfService]:
    async with rt.pool.acquire() as conn:
        shelter = await store.get_shelter(conn, shelter_id)
        if shelter is None or await store.get_bed(conn, shelter_id, bed_id) is None:
            raise NotFound(f"no bed {bed_id} in shelter {shelter_id}")
        principal.check_country(shelter["country"])
        rows = await store.list_out_of_service(conn, shelter_id, bed_id)
    return [msgspec.convert(dict(r), schemas.OutOfService) for r in rows]


@retried
async def end_out_of_service(rt, principal, shelter_id, bed_id, period_id: int) -> None:
    async with rt.pool.acquire() as conn, conn.transaction():
        shelter = await _locked_shelter(conn, principal, shelter_id)
        if not await store.end_out_of_service(conn, shelter_id, bed_id, period_id):
            raise NotFound(f"no active out-of-service period {period_id} on bed {bed_id}")
        if shelter["status"] == "open":
            await promote_waitlist_tx(conn, rt.config)


# --- holds ----------------------------------------------------------------------------


async def try_hold_tx(
    conn, settings: Settings, p: asyncpg.Record, *, causation: Envelope | None, now: datetime | None = None
) -> domain.Match | None:
    """Hold beds for the whole party in the best shelter, all or none, or return None.

    Candidates are read without locks; the chosen shelter is then locked and its free
    beds read again, so concurrent holds on one shelter queue up instead of colliding.
    The exclusion constraint stays the last word: a 23P01 moves on to the next shelter.
    """
    now = now or _now()
    need = _need(p)
    start, end = now, now + timedelta(days=p["stay_days"])
    skip: list[uuid.UUID] = []
    while True:
        options = await store.candidates(conn, start, end, skip=skip)
        match = domain.choose_shelter(
            need,
            home_country=p["country"],
            home_region=p["region"],
            excluded=p["excluded_regions"],
            candidates=options,
        )
        if match is None:
            return None
        skip.append(match.shelter_id)
        try:
            # A savepoint: if this shelter has no room after all, rolling back releases
            # its lock at once, so two holds trying shelters in opposite orders never deadlock.
            async with conn.transaction():
                locked = await store.lock_shelter(conn, match.shelter_id)
                if locked is None or locked["status"] != "open":
                    raise _NoRoom
                beds = domain.pick_beds(need, await store.free_beds(conn, match.shelter_id, start, end))
                if beds is None:
                    raise _NoRoom
                await store.insert_placement_allocations(conn, p["id"], match.shelter_id, beds, start, end)
        except _NoRoom:
            continue
        except asyncpg.ExclusionViolationError:
            log.info("placement.hold_conflict", placement_id=str(p["id"]), shelter_id=str(match.shelter_id))
            continue
        expires = now + timedelta(hours=settings.hold_hours)
        await store.mark_held(
            conn, p["id"], shelter_id=match.shelter_id, reason=match.reason, now=now, expires=expires, end=end
        )
        await enqueue(
            conn,
            _event(
                PlacementHeld(
                    placement_id=p["id"],
                    shelter_id=match.shelter_id,
                    shelter_code=match.code,
                    country=match.country,
                    region=match.region,
                    beds=len(beds),
                    hold_expires_at=expires,
                    reason=match.reason,
                    relocation_of=p["relocation_of"],
                ),
                case_id=p["case_id"],
                causation=causation,
            ),
        )
        log.info(
            "placement.held", placement_id=str(p["id"]), shelter_id=str(match.shelter_id), beds=len(beds)
        )
        return domain.Match(
            shelter_id=match.shelter_id,
            code=match.code,
            country=match.country,
            region=match.region,
            bed_ids=tuple(beds),
            reason=match.reason,
        )


async def open_request_tx(
    conn,
    settings: Settings,
    *,
    case_id: uuid.UUID,
    country: str,
    region: str,
    party: Party | schemas.PartyIn,
    level: str,
    excluded_regions: list[str],
    stay_days: int = 30,
    source: str = "api",
    assessment_id: uuid.UUID | None = None,
    relocation_of: uuid.UUID | None = None,
    causation: Envelope | None = None,
) -> tuple[uuid.UUID, domain.Match | None]:
    """Create a request, then hold the best match or put it on the waitlist."""
    now = _now()
    placement_id = uuid.uuid4()
    await store.insert_placement(
        conn,
        placement_id=placement_id,
        case_id=case_id,
        country=country,
        region=region,
        adults=party.adults,
        children_ages=list(party.children_ages),
        accessibility_needs=list(party.accessibility_needs),
        level=level,
        level_rank=domain.LEVEL_RANK[level],
        excluded_regions=list(excluded_regions),
        stay_days=stay_days,
        source=source,
        assessment_id=assessment_id,
        relocation_of=relocation_of,
        now=now,
    )
    event_party = Party(
        adults=party.adults,
        children_ages=list(party.children_ages),
        accessibility_needs=list(party.accessibility_needs),
    )
    await enqueue(
        conn,
        _event(
            PlacementRequested(
                placement_id=placement_id,
                country=country,
                party=event_party,
                level=level,
                excluded_regions=list(excluded_regions),
            ),
            case_id=case_id,
            causation=causation,
        ),
    )
    row = await conn.fetchrow("SELECT * FROM placements WHERE id = $1", placement_id)
    match = await try_hold_tx(conn, settings, row, causation=causation, now=now)
    if match is None:
        await store.mark_waitlisted(conn, placement_id)
        await enqueue(
            conn,
            _event(
                PlacementWaitlisted(placement_id=placement_id, level=level, country=country),
                case_id=case_id,
                causation=causation,
            ),
        )
        log.info("placement.waitlisted", placement_id=str(placement_id), party_size=event_party.size)
    return placement_id, match


async def promote_waitlist_tx(conn, settings: Settings, *, causation: Envelope | None = None) -> int:
    """Beds freed up: give holds to waiting requests in order (extreme first, then the
    longest waiting); a request that does not fit is passed over, not dropped."""
    held = 0
    now = _now()
    # One read of the free beds serves every request that cannot fit (the usual case);
    # it is read again only after a hold changed it.
    free: dict[int, list[domain.Candidate]] = {}
    for p in await store.waiting(conn, WAITLIST_BATCH):
        days = p["stay_days"]
        if days not in free:
            free[days] = await store.candidates(conn, now, now + timedelta(days=days))
        fits = domain.choose_shelter(
            _need(p),
            home_country=p["country"],
            home_region=p["region"],
            excluded=p["excluded_regions"],
            candidates=free[days],
        )
        if fits is None:
            continue
        if await try_hold_tx(conn, settings, p, causation=causation, now=now) is not None:
            held += 1
            free.clear()
    if held:
        log.info("waitlist.promoted", holds=held)
    return held


async def expire_holds_tx(conn, settings: Settings, *, now: datetime | None = None) -> int:
    now = now or _now()
    rows = await store.expiring_holds(conn, now, EXPIRY_BATCH)
    for p in rows:
        await store.release_allocations(conn, p["id"], now)
        await store.set_status(conn, p["id"], "expired", now, end_reason="hold_expired")
        await enqueue(
            conn,
            _event(
                PlacementExpired(placement_id=p["id"], shelter_id=p["shelter_id"]),
                case_id=p["case_id"],
                causation=None,
            ),
        )
    if rows:
        log.info("placement.holds_expired", count=len(rows))
        await promote_waitlist_tx(conn, settings)
    return len(rows)


async def expire_holds(rt) -> None:
    """Periodic job: unconfirmed holds past their expiry free their beds; overstays keep theirs."""
    async with rt.pool.acquire() as conn, conn.transaction():
        await expire_holds_tx(conn, rt.config)
        await extend_overstays_tx(conn)


# --- placements -----------------------------------------------------------------------


def placement_out(p: asyncpg.Record) -> schemas.Placement:
    return schemas.Placement(
        id=p["id"],
        case_id=p["case_id"],
        status=p["status"],
        level=p["level"],
        country=p["country"],
        region=p["region"],
        party=schemas.Party(
            adults=p["adults"],
            children_ages=list(p["children_ages"]),
            accessibility_needs=list(p["accessibility_needs"]),
        ),
        party_size=p["adults"] + len(p["children_ages"]),
        excluded_regions=list(p["excluded_regions"]),
        stay_days=p["stay_days"],
        waitlisted=p["waitlisted"],
        shelter_id=p["shelter_id"],
        shelter_code=p["shelter_code"],
        shelter_country=p["shelter_country"],
        shelter_region=p["shelter_region"],
        bed_ids=list(p["bed_ids"]),
        hold_expires_at=p["hold_expires_at"],
        starts_at=p["starts_at"],
        expected_end=p["expected_end"],
        reason=p["reason"],
        relocation_of=p["relocation_of"],
        needs_relocation=p["needs_relocation"],
        requested_at=p["requested_at"],
        held_at=p["held_at"],
        confirmed_at=p["confirmed_at"],
        checked_in_at=p["checked_in_at"],
        ended_at=p["ended_at"],
        end_reason=p["end_reason"],
    )


def _check_visible(principal: Principal, p: asyncpg.Record) -> None:
    if principal.can_see(p["country"]):
        return
    if p["shelter_country"] and principal.can_see(p["shelter_country"]):
        return
    raise Forbidden(f"your token covers neither country {p['country']} nor the shelter's country")


@retried
async def request_placement(rt, principal: Principal, body: schemas.PlacementCreate) -> schemas.Placement:
    principal.check_country(body.country)
    async with rt.pool.acquire() as conn, conn.transaction():
        existing = await store.active_placement_for_case(conn, body.case_id)
        if existing is not None:
            raise Conflict(
                f"case {body.case_id} already has an active placement {existing['id']} "
                f"({existing['status']}); cancel it before requesting another",
                extra={"placement_id": str(existing["id"])},
            )
        try:
            async with conn.transaction():
                placement_id, _ = await open_request_tx(
                    conn,
                    rt.config,
                    case_id=body.case_id,
                    country=body.country,
                    region=body.region,
                    party=body.party,
                    level=body.level,
                    excluded_regions=body.excluded_regions,
                    stay_days=body.stay_days,
                    source="api",
                )
        except asyncpg.UniqueViolationError:
            raise Conflict(
                f"case {body.case_id} already has an active placement; cancel it before requesting another"
            ) from None
        row = await store.get_placement(conn, placement_id)
    return placement_out(row)


async def get_placement(rt, principal: Principal, placement_id: uuid.UUID) -> schemas.Placement:
    async with rt.pool.acquire() as conn:
        row = await store.get_placement(conn, placement_id)
    if row is None:
        raise NotFound(f"no placement {placement_id}")
    _check_visible(principal, row)
    return placement_out(row)


async def list_placements(rt, principal: Principal, *, country, case_id, status, shelter_id, limit, offset):
    countries = principal.visible_countries(country)
    async with rt.pool.acquire() as conn:
        rows, total = await store.list_placements(
            conn,
            countries=countries,
            case_id=case_id,
            status=status,
            shelter_id=shelter_id,
            limit=limit,
            offset=offset,
        )
    return [placement_out(r) for r in rows], total


def _wrong_state(p: asyncpg.Record, action: str, target: str) -> Conflict:
    allowed = sorted(s for s, nxt in domain.TRANSITIONS.items() if target in nxt)
    return Conflict(
        f"cannot {action} placement {p['id']}: it is '{p['status']}', "
        f"and only a placement that is {' or '.join(allowed)} can be {target.replace('_', ' ')}",
        extra={"placement_status": p["status"]},
    )


async def _load_for_change(conn, principal: Principal | None, placement_id: uuid.UUID) -> asyncpg.Record:
    row = await store.get_placement(conn, placement_id, lock=True)
    if row is None:
        raise NotFound(f"no placement {placement_id}")
    if principal is not None:
        _check_visible(principal, row)
    return row


async def _change_end_tx(conn, p: asyncpg.Record, body: schemas.Confirm, now: datetime) -> datetime:
    """Move the end of the stay; the beds must be free until then (else 409)."""
    if body.expected_end is not None and body.stay_days is not None:
        raise Unprocessable("give either 'expected_end' or 'stay_days', not both")
    end = p["expected_end"]
    if body.expected_end is not None:
        end = body.expected_end
    elif body.stay_days is not None:
        end = p["starts_at"] + timedelta(days=body.stay_days)
    if end <= now:
        raise Unprocessable("the expected end of the stay must be in the future")
    if end != p["expected_end"]:
        try:
            async with conn.transaction():
                await store.set_allocation_end(conn, p["id"], end)
        except asyncpg.ExclusionViolationError:
            raise Conflict(
                "the beds are booked by another placement or out of service before that end date; "
                "choose a shorter stay"
            ) from None
    return end


@retried
async def confirm(
    rt, principal: Principal, placement_id: uuid.UUID, body: schemas.Confirm
) -> schemas.Placement:
    now = _now()
    async with rt.pool.acquire() as conn, conn.transaction():
        p = await _load_for_change(conn, principal, placement_id)
        if not domain.can_transition(p["status"], "confirmed"):
            raise _wrong_state(p, "confirm", "confirmed")
        if p["hold_expires_at"] is not None and p["hold_expires_at"] <= now:
            raise Conflict(
                f"the hold of placement {placement_id} expired at {p['hold_expires_at'].isoformat()}; "
                "request a new placement"
            )
        end = await _change_end_tx(conn, p, body, now)
        await store.set_status(conn, placement_id, "confirmed", now, expected_end=end)
        await enqueue(
            conn,
            _event(
                PlacementConfirmed(placement_id=placement_id, shelter_id=p["shelter_id"]),
                case_id=p["case_id"],
                causation=None,
            ),
        )
        if end < p["expected_end"]:
            await promote_waitlist_tx(conn, rt.config)
        row = await store.get_placement(conn, placement_id)
    return placement_out(row)


@retried
async def change_stay(
    rt, principal: Principal, placement_id: uuid.UUID, body: schemas.Confirm
) -> schemas.Placement:
    """Shorten or extend a confirmed or current stay."""
    now = _now()
    async with rt.pool.acquire() as conn, conn.transaction():
        p = await _load_for_change(conn, principal, placement_id)
        if p["status"] not in ("confirmed", "checked_in"):
            raise Conflict(
                f"placement {placement_id} is '{p['status']}'; only a confirmed or checked-in stay can change "
                "its end (confirm a hold with 'stay_days' instead)",
                extra={"placement_status": p["status"]},
            )
        if body.expected_end is None and body.stay_days is None:
            raise Unprocessable("give 'expected_end' or 'stay_days'")
        end = await _change_end_tx(conn, p, body, now)
        await conn.execute(
            "UPDATE placements SET expected_end = $2, updated_at = $3 WHERE id = $1", placement_id, end, now
        )
        if end < p["expected_end"]:
            await promote_waitlist_tx(conn, rt.config)
        row = await store.get_placement(conn, placement_id)
    return placement_out(row)


async def extend_overstays_tx(conn, *, now: datetime | None = None) -> int:
    """A family still checked in after its expected end keeps its beds one day at a time,
    so no hold is ever placed on a bed somebody is sleeping in."""
    now = now or _now()
    rows = await store.overstays(conn, now + OVERSTAY_MARGIN)
    extended = 0
    for r in rows:
        try:
            async with conn.transaction():
                await store.set_allocation_end(conn, r["placement_id"], now + OVERSTAY_MARGIN)
            extended += 1
        except asyncpg.ExclusionViolationError:
            log.warning("placement.overstay_conflict", placement_id=str(r["placement_id"]))
    return extended


@retried
async def check_in(rt, principal: Principal, placement_id: uuid.UUID) -> schemas.Placement:
    now = _now()
    async with rt.pool.acquire() as conn, conn.transaction():
        p = await _load_for_change(conn, principal, placement_id)
        if not domain.can_transition(p["status"], "checked_in"):
            raise _wrong_state(p, "check in", "checked_in")
        await store.set_status(conn, placement_id, "checked_in", now)
        await enqueue(
            conn,
            _event(
                PlacementCheckedIn(placement_id=placement_id, shelter_id=p["shelter_id"]),
                case_id=p["case_id"],
                causation=None,
            ),
        )
        # The family has arrived at the new place: the stay it had to leave ends as
        # relocated (up the chain, when an earlier relocation target was compromised too).
        previous, seen = p["relocation_of"], set()
        while previous is not None and previous not in seen:
            seen.add(previous)
            old = await store.get_placement(conn, previous, lock=True)
            if old is None:
                break
            if old["status"] == "checked_in":
                await _end_tx(conn, old, now, reason="relocated")
                break
            previous = old["relocation_of"]
        row = await store.get_placement(conn, placement_id)
    return placement_out(row)


async def _end_tx(conn, p: asyncpg.Record, now: datetime, *, reason: str) -> None:
    await store.release_allocations(conn, p["id"], now)
    await store.set_status(conn, p["id"], "ended", now, end_reason=reason)
    await enqueue(
        conn,
        _event(
            PlacementEnded(placement_id=p["id"], shelter_id=p["shelter_id"], reason=reason),
            case_id=p["case_id"],
            causation=None,
        ),
    )


@retried
async def check_out(rt, principal: Principal, placement_id: uuid.UUID) -> schemas.Placement:
    now = _now()
    async with rt.pool.acquire() as conn, conn.transaction():
        p = await _load_for_change(conn, principal, placement_id)
        if not domain.can_transition(p["status"], "ended"):
            raise _wrong_state(p, "check out", "ended")
        await _end_tx(conn, p, now, reason="checked_out")
        await promote_waitlist_tx(conn, rt.config)
        row = await store.get_placement(conn, placement_id)
    return placement_out(row)


async def _cancel_tx(conn, p: asyncpg.Record, now: datetime, reason: str, causation: Envelope | None) -> bool:
    """Cancel; True when beds were freed."""
    freed = await store.release_allocations(conn, p["id"], now)
    await store.set_status(conn, p["id"], "cancelled", now, end_reason=reason)
    await enqueue(
        conn,
        _event(
            PlacementCancelled(placement_id=p["id"], reason=reason), case_id=p["case_id"], causation=causation
        ),
    )
    return freed > 0


@retried
async def cancel(
    rt, principal: Principal, placement_id: uuid.UUID, body: schemas.Cancel
) -> schemas.Placement:
    now = _now()
    async with rt.pool.acquire() as conn, conn.transaction():
        p = await _load_for_change(conn, principal, placement_id)
        if not domain.can_transition(p["status"], "cancelled"):
            raise _wrong_state(p, "cancel", "cancelled")
        if await _cancel_tx(conn, p, now, body.reason, None):
            await promote_waitlist_tx(conn, rt.config)
        row = await store.get_placement(conn, placement_id)
    return placement_out(row)


async def waitlist(rt, principal: Principal, *, country, limit, offset):
    countries = principal.visible_countries(country)
    async with rt.pool.acquire() as conn:
        rows, total = await store.list_waitlist(conn, countries=countries, limit=limit, offset=offset)
    items = [
        schemas.WaitlistEntry(
            position=r["position"],
            placement_id=r["id"],
            case_id=r["case_id"],
            level=r["level"],
            country=r["country"],
            party_size=r["adults"] + len(r["children_ages"]),
            accessible=bool(r["accessibility_needs"]),
            requested_at=r["requested_at"],
            relocation_of=r["relocation_of"],
        )
        for r in rows
    ]
    return items, total


# --- event handling -------------------------------------------------------------------


def _clean(text: str) -> str:
    # Events are not validated like HTTP bodies; PostgreSQL text cannot hold NUL.
    return text.replace("\x00", "")


async def on_assessment_tx(conn, settings: Settings, event: Envelope) -> None:
    data = event.data
    if "shelter" not in data.measures or event.case_id is None:
        return
    existing = await store.active_placement_for_case(conn, event.case_id)
    if existing is not None:
        if existing["status"] == "requested":
            # Still waiting: the newest assessment decides its place in the queue and its needs.
            await store.update_waiting_request(
                conn,
                existing["id"],
                level=data.level,
                level_rank=domain.LEVEL_RANK[data.level],
                adults=data.party.adults,
                children_ages=list(data.party.children_ages),
                accessibility_needs=list(data.party.accessibility_needs),
                excluded_regions=[_clean(r) for r in data.excluded_regions],
            )
        log.info("placement.already_active", placement_id=str(existing["id"]), status=existing["status"])
        return
    await open_request_tx(
        conn,
        settings,
        case_id=event.case_id,
        country=data.country,
        region=_clean(data.region),
        party=data.party,
        level=data.level,
        excluded_regions=[_clean(r) for r in data.excluded_regions],
        source="assessment",
        assessment_id=data.assessment_id,
        causation=event,
    )


async def on_case_closed_tx(conn, settings: Settings, event: Envelope) -> None:
    if event.case_id is None:
        return
    now = _now()
    freed = False
    for p in await store.open_for_case(conn, event.case_id):
        freed |= await _cancel_tx(conn, p, now, "case_closed", event)
    if freed:
        await promote_waitlist_tx(conn, settings, causation=event)


# --- compromise and reopening ------------------------------------------------------------


@retried
async def compromise(
    rt, principal: Principal, shelter_id: uuid.UUID, body: schemas.Compromise
) -> schemas.CompromiseResult:
    now = _now()
    async with rt.pool.acquire() as conn, conn.transaction():
        shelter = await _locked_shelter(conn, principal, shelter_id)
        if shelter["status"] == "compromised":
            raise Conflict(f"shelter {shelter_id} is already marked compromised")
        reason = _cipher(rt).encrypt_obj(
            {"reason": body.reason, "by": principal.sub, "at": now.isoformat()},
            aad=_aad(shelter_id, b"compromise"),
        )
        await store.set_shelter_status(conn, shelter_id, "compromised", compromise_reason=reason, now=now)
        affected = await store.active_in_shelter(conn, shelter_id)
        relocations: list[uuid.UUID] = []
        held = 0
        for p in affected:
            if p["needs_relocation"] and await store.active_placement_for_case(conn, p["case_id"]):
                # Already being relocated (compromised before, then reopened): its relocation
                # request is that active placement; a second one would be a duplicate.
                continue
            await store.mark_needs_relocation(conn, p["id"])
            if p["status"] in ("held", "confirmed"):
                # Nobody has arrived yet: the beds there are no use; the new request replaces it.
                await _cancel_tx(conn, p, now, "shelter_compromised", None)
            new_id, match = await open_request_tx(
                conn,
                rt.config,
                case_id=p["case_id"],
                country=p["country"],
                region=p["region"],
                party=_party(p),
                level=p["level"],
                excluded_regions=list(p["excluded_regions"]),
                stay_days=p["stay_days"],
                source="relocation",
                relocation_of=p["id"],
            )
            relocations.append(new_id)
            held += match is not None
        case_ids = list(dict.fromkeys(p["case_id"] for p in affected))
        await enqueue(
            conn,
            _event(
                ShelterCompromised(
                    shelter_id=shelter_id,
                    country=shelter["country"],
                    region=shelter["region"],
                    affected_case_ids=case_ids,
                ),
                case_id=None,
                causation=None,
            ),
        )
    log.warning(
        "shelter.compromised", shelter_id=str(shelter_id), affected=len(affected), relocations_held=held
    )
    return schemas.CompromiseResult(
        shelter_id=shelter_id,
        status="compromised",
        affected_placements=len(affected),
        relocations_held=held,
        relocations_waitlisted=len(relocations) - held,
        relocation_placement_ids=relocations,
    )


@retried
async def close(rt, principal: Principal, shelter_id: uuid.UUID) -> schemas.Reopened:
    """Stop new holds (repairs, no staff); people already placed there stay."""
    async with rt.pool.acquire() as conn, conn.transaction():
        shelter = await _locked_shelter(conn, principal, shelter_id)
        if shelter["status"] != "open":
            raise Conflict(f"shelter {shelter_id} is {shelter['status']}; only an open shelter can be closed")
        await store.set_shelter_status(conn, shelter_id, "closed")
    log.info("shelter.closed", shelter_id=str(shelter_id))
    return schemas.Reopened(shelter_id=shelter_id, status="closed", holds_from_waitlist=0)


@retried
async def reopen(rt, principal: Principal, shelter_id: uuid.UUID) -> schemas.Reopened:
    async with rt.pool.acquire() as conn, conn.transaction():
        shelter = await _locked_shelter(conn, principal, shelter_id)
        if shelter["status"] == "open":
            raise Conflict(f"shelter {shelter_id} is already open")
        await store.set_shelter_status(conn, shelter_id, "open")
        held = await promote_waitlist_tx(conn, rt.config)
    log.info("shelter.reopened", shelter_id=str(shelter_id), holds=held)
    return schemas.Reopened(shelter_id=shelter_id, status="open", holds_from_waitlist=held)


# --- availability and capacity ----------------------------------------------------------


async def availability(
    rt,
    principal: Principal,
    *,
    country: str | None,
    region: str | None,
    start: datetime,
    end: datetime,
    adults: int,
    children: int,
    accessible: bool,
) -> schemas.Availability:
    if adults + children < 1:
        raise Unprocessable("the party needs at least one person: set 'adults' or 'children'")
    if end <= start:
        raise Unprocessable("'to' must be after 'from'")
    if end - start > timedelta(days=366):
        raise Unprocessable("the period may be at most 366 days")
    countries = principal.visible_countries(country)
    async with rt.pool.acquire() as conn:
        rows = await store.availability(conn, start=start, end=end, countries=countries, region=region)
    # Ages are unknown here: count children as young enough for child-sized beds.
    need = domain.Need(adults=adults, children_ages=(0,) * children, accessible=accessible)
    shelters: list[schemas.ShelterAvailability] = []
    totals: dict[str, dict[str, int]] = defaultdict(
        lambda: {"shelters": 0, "beds": 0, "free": 0, "shelters_fitting_party": 0}
    )
    for r in rows:
        fits = (not accessible or r["accessible"]) and domain.fits_counts(
            need,
            regular=r["free_r"] + r["free_ra"],
            regular_accessible=r["free_ra"],
            child=r["free_c"] + r["free_ca"],
        )
        shelters.append(
            schemas.ShelterAvailability(
                shelter_id=r["id"],
                code=r["code"],
                kind=r["kind"],
                country=r["country"],
                region=r["region"],
                accessible=r["accessible"],
                beds=r["beds"],
                free=r["free"],
                free_regular=r["free_r"] + r["free_ra"],
                free_child=r["free_c"] + r["free_ca"],
                free_accessible=r["free_ra"] + r["free_ca"],
                fits_party=fits,
            )
        )
        t = totals[r["country"]]
        t["shelters"] += 1
        t["beds"] += r["beds"]
        t["free"] += r["free"]
        t["shelters_fitting_party"] += fits
    return schemas.Availability(
        start=start,
        end=end,
        party_size=need.size,
        shelters=shelters,
        countries=[schemas.CountryAvailability(country=c, **v) for c, v in sorted(totals.items())],
    )


FORECAST_DAYS = 14


async def capacity(rt, principal: Principal, *, country: str | None) -> schemas.Capacity:
    now = _now()
    countries = principal.visible_countries(country)
    horizon = now + timedelta(days=FORECAST_DAYS)
    async with rt.pool.acquire() as conn:
        shelters = await store.capacity_shelters(conn, countries)
        allocations = await store.capacity_allocations(conn, now, horizon, countries)
    days = [now + timedelta(days=d) for d in range(FORECAST_DAYS)]
    by_shelter: dict[uuid.UUID, list] = defaultdict(list)
    for a in allocations:
        by_shelter[a["shelter_id"]].append(a)
    out: list[schemas.ShelterCapacity] = []
    country_totals: dict[str, dict[str, Any]] = {}
    for s in shelters:
        rows = by_shelter.get(s["id"], [])
        now_state: dict[uuid.UUID, str] = {}
        for a in rows:
            if a["lo"] <= now < a["hi"]:
                state = (
                    "out_of_service"
                    if a["kind"] == "out_of_service"
                    else "occupied"
                    if a["status"] == "checked_in"
                    else "held"
                )
                now_state[a["bed_id"]] = state
        counts = {
            k: sum(1 for v in now_state.values() if v == k) for k in ("occupied", "held", "out_of_service")
        }
        usable = s["status"] == "open"
        free_now = s["beds"] - len(now_state) if usable else 0
        forecast = []
        for d, t in enumerate(days):
            busy = len({a["bed_id"] for a in rows if a["lo"] <= t < a["hi"]})
            forecast.append(schemas.DayForecast(day=d, at=t, free=(s["beds"] - busy) if usable else 0))
        out.append(
            schemas.ShelterCapacity(
                shelter_id=s["id"],
                code=s["code"],
                country=s["country"],
                region=s["region"],
                status=s["status"],
                beds=s["beds"],
                free=free_now,
                forecast=forecast,
                **counts,
            )
        )
        t = country_totals.setdefault(
            s["country"],
            {
                "beds": 0,
                "occupied": 0,
                "held": 0,
                "out_of_service": 0,
                "free": 0,
                "forecast": [0] * FORECAST_DAYS,
            },
        )
        t["beds"] += s["beds"]
        t["free"] += free_now
        for k, v in counts.items():
            t[k] += v
        for d, f in enumerate(forecast):
            t["forecast"][d] += f.free
    return schemas.Capacity(
        at=now,
        shelters=out,
        countries=[
            schemas.CountryCapacity(
                country=c,
                beds=v["beds"],
                occupied=v["occupied"],
                held=v["held"],
                out_of_service=v["out_of_service"],
                free=v["free"],
                forecast=[
                    schemas.DayForecast(day=d, at=days[d], free=f) for d, f in enumerate(v["forecast"])
                ],
            )
            for c, v in sorted(country_totals.items())
        ],
    )
