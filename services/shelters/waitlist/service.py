"""Use cases of the waitlist: promotion when beds free up, and reading the queue."""

from __future__ import annotations

from services.shelters.config import SheltersConfig
from services.shelters.domain import matching
from services.shelters.domain.lifecycle import hold_period
from services.shelters.placements import store as placements_store
from services.shelters.placements.holds import need_of, try_hold_tx, utcnow
from services.shelters.waitlist import schemas, store
from shared.auth import Principal
from shared.events import Envelope
from shared.logging import get_logger

log = get_logger(__name__)
WAITLIST_BATCH = 50  # waiting requests tried each time beds free up


async def promote_tx(conn, config: SheltersConfig, *, causation: Envelope | None) -> int:
    """Beds freed up: give holds to waiting requests in order (extreme first, then the
    longest waiting); a request that does not fit is passed over, not dropped. The holds
    name ``causation``, the event that freed the beds (None when staff added beds or
    reopened a shelter)."""
    held = 0
    at = utcnow()
    # One read of the free beds serves every request that cannot fit (the usual case);
    # it is read again only after a hold changed it.
    free: dict[int, list[matching.Candidate]] = {}
    for p in await store.waiting(conn, WAITLIST_BATCH):
        days = p["stay_days"]
        if days not in free:
            free[days] = await placements_store.candidates(conn, *hold_period(at, days))
        fits = matching.choose_shelter(
            need_of(p),
            home_country=p["country"],
            home_region=p["region"],
            excluded=p["excluded_regions"],
            candidates=free[days],
        )
        if fits is None:
            continue
        if await try_hold_tx(conn, config, p, causation=causation, at=at) is not None:
            held += 1
            free.clear()
    if held:
        log.info("waitlist.promoted", holds=held)
    return held


async def waitlist(
    rt, principal: Principal, *, country: str | None, limit: int, offset: int
) -> tuple[list[schemas.WaitlistEntry], int]:
    """Positions are in the whole network's queue; a token sees its countries' entries."""
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
