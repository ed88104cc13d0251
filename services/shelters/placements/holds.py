"""The hold engine: a request holds beds for the whole party in the best shelter, all or
none, or goes on the waitlist. Her country's shelters are read first and the others only
when none there fits; the chosen shelter is locked and its free beds read again through
its own stays. The ``*_tx`` functions run inside a transaction their caller owns (an HTTP
use case, the event consumer's, the compromise's, the waitlist's)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.shelters import events
from services.shelters.config import SheltersConfig
from services.shelters.domain import lifecycle, matching, waitlist
from services.shelters.domain.beds import Need, pick_beds
from services.shelters.placements import store
from services.shelters.registry.store import lock_shelter
from services.shelters.waitlist.store import mark_waitlisted
from shared.events import Envelope, Party, PlacementHeld, PlacementRequested, PlacementWaitlisted
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
