"""Placement requests and holds: a request holds beds for the whole party in the best
shelter, all or none, or goes on the waitlist. It comes from an assessment (the event
use case ``on_assessment``), from staff (``request_placement``) or from a compromise.

The ``*_tx`` functions run inside a transaction their caller owns (an HTTP use case, the
event consumer's, the compromise's), so every path shares them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.shelters import events
from services.shelters.cases.service import open_case_in_scope
from services.shelters.config import SheltersConfig
from services.shelters.domain import lifecycle, matching, waitlist
from services.shelters.domain.beds import Need, pick_beds
from services.shelters.placements import schemas, store
from services.shelters.registry.store import lock_shelter
from services.shelters.waitlist.store import mark_waitlisted, update_waiting_request
from shared import idempotency
from shared.auth import Principal
from shared.db import retry_transaction
from shared.errors import Conflict, NotFound
from shared.events import (
    AssessmentRecorded,
    Envelope,
    Party,
    PlacementHeld,
    PlacementReconciled,
    PlacementRequested,
    PlacementWaitlisted,
)
from shared.idempotency import IdempotentRequest
from shared.logging import get_logger
from shared.outbox import enqueue

log = get_logger(__name__)


class _NoRoom(Exception):
    """The chosen shelter turned out to have no room once locked."""


def utcnow() -> datetime:
    return datetime.now(UTC)


def need_of(p: Mapping[str, Any]) -> Need:
    return Need(
        adults=p["adults"],
        children_ages=tuple(p["children_ages"]),
        accessible=bool(p["accessibility_needs"]),
    )


def party_of(p: Mapping[str, Any]) -> Party:
    return Party(
        adults=p["adults"],
        children_ages=list(p["children_ages"]),
        accessibility_needs=list(p["accessibility_needs"]),
    )


# --- the hold engine ------------------------------------------------------------------


async def _room_in(conn, p, need, start: datetime, end: datetime, skip: list[uuid.UUID], *, home: bool):
    """Allocate beds in the best shelter with room, in her country or (``home=False``) in
    the others: (match, beds, held_at, end), or None. ``skip`` gathers the shelters tried."""
    while True:
        options = await store.candidates(conn, start, end, skip=skip, country=p["country"], home=home)
        match = matching.choose_shelter(
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
                locked = await lock_shelter(conn, match.shelter_id)
                if locked is None or locked["status"] != "open":
                    raise _NoRoom
                beds = pick_beds(need, await store.free_beds(conn, match.shelter_id, start, end))
                if beds is None:
                    raise _NoRoom
                # Dated by the database's clock read after the lock and after the free beds
                # were seen: a stay that freed one of them ended before that (its end is
                # stamped before it commits), so the beds' history never overlaps.
                held_at = max(start, await conn.fetchval("SELECT clock_timestamp()"))
                held_start, held_end = lifecycle.hold_period(held_at, p["stay_days"])
                await store.insert_placement_allocations(
                    conn, p["id"], match.shelter_id, beds, held_start, held_end
                )
        except _NoRoom:
            continue
        except asyncpg.ExclusionViolationError:
            log.info("placement.hold_conflict", placement_id=str(p["id"]), shelter_id=str(match.shelter_id))
            continue
        return match, beds, held_at, held_end


async def try_hold_tx(
    conn, config: SheltersConfig, p: asyncpg.Record, *, causation: Envelope | None, at: datetime
) -> matching.Match | None:
    """Hold beds for the whole party in the best shelter, all or none, or return None.

    Candidates are read without locks; the chosen shelter is then locked and its free
    beds read again, so concurrent holds on one shelter queue up instead of colliding.
    The exclusion constraint stays the last word: a 23P01 moves on to the next shelter.
    """
    need = need_of(p)
    start, end = lifecycle.hold_period(at, p["stay_days"])
    skip: list[uuid.UUID] = []
    found = None
    # Her own country first, other countries only when no shelter there has room: the
    # choice never prefers crossing a border (matching.choose_shelter's first rule), so it
    # is the same, and the usual hold reads a sixth of the beds.
    for home in (True, False):
        found = await _room_in(conn, p, need, start, end, skip, home=home)
        if found is not None:
            break
    if found is None:
        return None
    match, beds, held_at, end = found
    expires = lifecycle.hold_expiry(held_at, config.hold_hours)
    await store.mark_held(
        conn,
        p["id"],
        shelter_id=match.shelter_id,
        reason=match.reason,
        now=held_at,
        expires=expires,
        end=end,
    )
    held = PlacementHeld(
        placement_id=p["id"],
        shelter_id=match.shelter_id,
        shelter_code=match.code,
        country=match.country,
        region=match.region,
        beds=len(beds),
        hold_expires_at=expires,
        reason=match.reason,
        relocation_of=p["relocation_of"],
    )
    await enqueue(conn, events.new(held, case_id=p["case_id"], causation=causation))
    log.info("placement.held", placement_id=str(p["id"]), shelter_id=str(match.shelter_id), beds=len(beds))
    return match


async def open_request_tx(
    conn,
    config: SheltersConfig,
    *,
    case_id: uuid.UUID,
    country: str,
    region: str,
    party: Party,
    level: str,
    excluded_regions: list[str],
    stay_days: int = 30,
    source: str = "api",
    assessment_id: uuid.UUID | None = None,
    relocation_of: uuid.UUID | None = None,
    causation: Envelope | None = None,
) -> tuple[uuid.UUID, matching.Match | None]:
    """Create a request, then hold the best match or put it on the waitlist. Every event
    it writes names ``causation`` (the assessment or the compromise that asked for it)."""
    at = utcnow()
    placement_id = uuid.uuid4()
    row = await store.insert_placement(
        conn,
        placement_id=placement_id,
        case_id=case_id,
        country=country,
        region=region,
        adults=party.adults,
        children_ages=list(party.children_ages),
        accessibility_needs=list(party.accessibility_needs),
        level=level,
        level_rank=waitlist.rank(level),
        excluded_regions=list(excluded_regions),
        stay_days=stay_days,
        source=source,
        assessment_id=assessment_id,
        relocation_of=relocation_of,
        now=at,
    )
    requested = PlacementRequested(
        placement_id=placement_id,
        country=country,
        party=party_of(row),
        level=level,
        excluded_regions=list(excluded_regions),
    )
    await enqueue(conn, events.new(requested, case_id=case_id, causation=causation))
    match = await try_hold_tx(conn, config, row, causation=causation, at=at)
    if match is None:
        await mark_waitlisted(conn, placement_id)
        waiting = PlacementWaitlisted(placement_id=placement_id, level=level, country=country)
        await enqueue(conn, events.new(waiting, case_id=case_id, causation=causation))
        log.info("placement.waitlisted", placement_id=str(placement_id), party_size=party.size)
    return placement_id, match


# --- use cases ------------------------------------------------------------------------


def _clean(text: str) -> str:
    # Events are not validated like HTTP bodies; PostgreSQL text cannot hold NUL.
    return text.replace("\x00", "")


async def on_assessment(conn, config: SheltersConfig, event: Envelope[AssessmentRecorded]) -> None:
    """An assessment with a ``shelter`` measure: request a placement and hold beds, or
    waitlist the family. A case that already has an active placement is reconciled, never
    silently skipped (see ``reconcile_tx``)."""
    data = event.data
    if "shelter" not in data.measures or event.case_id is None:
        return
    excluded = [_clean(r) for r in data.excluded_regions]
    needs = [_clean(n) for n in data.party.accessibility_needs]
    party = Party(
        adults=data.party.adults, children_ages=list(data.party.children_ages), accessibility_needs=needs
    )
    existing = await store.active_placement_for_case(conn, event.case_id)
    if existing is not None:
        await reconcile_tx(conn, existing, event, party=party, excluded=excluded)
        return
    await open_request_tx(
        conn,
        config,
        case_id=event.case_id,
        country=data.country,
        region=_clean(data.region) if data.region else None,
        party=party,
        level=data.level,
        excluded_regions=excluded,
        source="assessment",
        assessment_id=data.assessment_id,
        causation=event,
    )


async def reconcile_tx(
    conn, existing: asyncpg.Record, event: Envelope[AssessmentRecorded], *, party: Party, excluded: list[str]
) -> None:
    """A new assessment met the case's active placement (asked for by staff, by an earlier
    assessment or by a relocation). A request still waiting takes the new level, party
    and exclusions (its place in the queue). Beds already held, confirmed or lived in are
    not moved behind staff's back: the placement keeps them, takes the new level, and is
    flagged for staff to review. Either way a ``PlacementReconciled`` event says so, so
    the case's timeline tells what happened to the new assessment."""
    data = event.data
    if existing["status"] == "requested":
        outcome = "updated"
        await update_waiting_request(
            conn,
            existing["id"],
            level=data.level,
            level_rank=waitlist.rank(data.level),
            adults=party.adults,
            children_ages=party.children_ages,
            accessibility_needs=list(party.accessibility_needs),
            excluded_regions=excluded,
        )
    else:
        outcome = "flagged"
        await store.flag_for_review(
            conn, existing["id"], reason="reassessed", level=data.level, level_rank=waitlist.rank(data.level)
        )
    reconciled = PlacementReconciled(
        placement_id=existing["id"],
        assessment_id=data.assessment_id,
        outcome=outcome,
        status=existing["status"],
        source=existing["source"],
        level=data.level,
    )
    await enqueue(conn, events.new(reconciled, case_id=event.case_id, causation=event))
    log.info("placement.reconciled", placement_id=str(existing["id"]), outcome=outcome)


def _already_active(existing: asyncpg.Record | None) -> Conflict:
    extra = {"placement_id": str(existing["id"]), "placement_status": existing["status"]} if existing else {}
    which = f" ({existing['id']}, {existing['status']})" if existing else ""
    return Conflict(
        f"this case already has an active placement{which}; cancel it before requesting another",
        code="placement.already_active",
        extra=extra,
    )


async def request_placement(
    rt, principal: Principal, body: schemas.PlacementCreate, retry: IdempotentRequest | None = None
) -> schemas.Placement:
    """Staff ask for beds for a case: held at once for the whole party, or waitlisted.
    The case must be one risk announced, open, and in the caller's countries."""

    async def work(conn) -> schemas.Placement:
        if (first := await idempotency.replayed(conn, retry, schemas.Placement, rt.cipher)) is not None:
            return first
        await open_case_in_scope(conn, principal, body.case_id, body.country)
        existing = await store.active_placement_for_case(conn, body.case_id)
        if existing is not None:
            raise _already_active(existing)
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
            # Another request for the case committed first (one active placement per case).
            raise _already_active(None) from None
        placement = placement_out(await store.get_placement(conn, placement_id))
        await idempotency.remember(conn, retry, placement, rt.cipher)
        return placement

    return await retry_transaction(rt.pool, work)


def placement_out(p: asyncpg.Record) -> schemas.Placement:
    return schemas.Placement(
        id=p["id"],
        case_id=p["case_id"],
        status=p["status"],
        level=p["level"],
        country=p["country"],
        region=p["region"],
        party=party_of(p),
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
        review_reason=p["review_reason"],
        requested_at=p["requested_at"],
        held_at=p["held_at"],
        confirmed_at=p["confirmed_at"],
        checked_in_at=p["checked_in_at"],
        ended_at=p["ended_at"],
        end_reason=p["end_reason"],
    )


def check_visible(principal: Principal, p: asyncpg.Record | None) -> asyncpg.Record:
    """A placement is visible in its case's country (wherever the shelter is) or in its
    shelter's country. Anywhere else it answers like no placement at all."""
    if p is not None and (
        principal.can_see(p["country"]) or (p["shelter_country"] and principal.can_see(p["shelter_country"]))
    ):
        return p
    raise not_found()


def not_found() -> NotFound:
    return NotFound("there is no such placement", code="placement.not_found")


async def get_placement(rt, principal: Principal, placement_id: uuid.UUID) -> schemas.Placement:
    async with rt.pool.acquire() as conn:
        row = await store.get_placement(conn, placement_id)
    return placement_out(check_visible(principal, row))


async def list_placements(
    rt, principal: Principal, *, country, case_id, status, shelter_id, limit, offset
) -> tuple[list[schemas.Placement], int]:
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
