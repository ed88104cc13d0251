"""Use cases of availability and capacity: one read each, the arithmetic in ``domain``."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from services.shelters.capacity import schemas, store
from services.shelters.domain import availability as avail
from services.shelters.domain import cross_border, forecast
from shared.auth import Principal
from shared.errors import Invalid

MAX_PERIOD = timedelta(days=366)


def bed_search_countries(config, principal: Principal, requested: str | None) -> list[str] | None:
    """Where she may look for beds: her countries and those their cross-border agreements
    open (None: all, an admin without a filter). A country outside both is a 403, as before."""
    if principal.is_admin:
        return principal.visible_countries(requested)
    allowed = cross_border.searchable(principal.countries, config.cross_border_agreements)
    if requested:
        if requested not in allowed:
            principal.check_country(requested)
        return [requested]
    return sorted(allowed)


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
    """Per open shelter: beds free for the whole period and whether the party fits."""
    if adults + children < 1:
        raise Invalid(
            "the party needs at least one person: set 'adults' or 'children'", code="availability.no_party"
        )
    if end <= start:
        raise Invalid("'to' must be after 'from'", code="availability.end_before_start")
    if end - start > MAX_PERIOD:
        raise Invalid("the period may be at most 366 days", code="availability.period_too_long")
    countries = bed_search_countries(rt.config, principal, country)
    async with rt.pool.acquire() as conn:
        rows = await store.availability(conn, start=start, end=end, countries=countries, region=region)
    need = avail.query_need(adults, children, accessible)
    fits = avail.party_fit(need)
    shelters: list[schemas.ShelterAvailability] = []
    for r in rows:
        regular, child, free_accessible = avail.free_by_kind(
            r["free_r"], r["free_ra"], r["free_c"], r["free_ca"]
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
                free_regular=regular,
                free_child=child,
                free_accessible=free_accessible,
                fits_party=fits(r["accessible"], regular, r["free_ra"], child),
            )
        )
    totals = avail.by_country((s.country, s.beds, s.free, s.fits_party) for s in shelters)
    return schemas.Availability(
        start=start,
        end=end,
        party_size=need.size,
        shelters=shelters,
        countries=[
            schemas.CountryAvailability(
                country=c,
                shelters=t.shelters,
                beds=t.beds,
                free=t.free,
                shelters_fitting_party=t.shelters_fitting_party,
            )
            for c, t in totals
        ],
    )


def _days(days: list[datetime], free: list[int]) -> list[schemas.DayForecast]:
    return [
        schemas.DayForecast(day=d, at=at, free=f) for d, (at, f) in enumerate(zip(days, free, strict=True))
    ]


async def capacity(rt, principal: Principal, *, country: str | None) -> schemas.Capacity:
    """Occupancy now per shelter and country, and free beds on each of the next 14 days."""
    now = datetime.now(UTC)
    countries = bed_search_countries(rt.config, principal, country)
    days = forecast.forecast_days(now)
    async with rt.pool.acquire() as conn:
        shelters = await store.capacity_shelters(conn, countries)
        allocations = await store.capacity_allocations(
            conn, now, now + timedelta(days=forecast.FORECAST_DAYS), countries
        )
    busy: dict[uuid.UUID, list[forecast.Busy]] = defaultdict(list)
    for a in allocations:
        busy[a["shelter_id"]].append(
            forecast.Busy(a["bed_id"], a["lo"], a["hi"], forecast.bed_state(a["kind"], a["status"]))
        )
    out: list[schemas.ShelterCapacity] = []
    loads: list[tuple[str, forecast.Load]] = []
    for s in shelters:
        load = forecast.shelter_load(
            s["beds"], usable=s["status"] == "open", busy=busy.get(s["id"], ()), now=now, days=days
        )
        loads.append((s["country"], load))
        out.append(
            schemas.ShelterCapacity(
                shelter_id=s["id"],
                code=s["code"],
                country=s["country"],
                region=s["region"],
                status=s["status"],
                beds=load.beds,
                occupied=load.occupied,
                held=load.held,
                out_of_service=load.out_of_service,
                free=load.free,
                forecast=_days(days, load.forecast),
            )
        )
    return schemas.Capacity(
        at=now,
        shelters=out,
        countries=[
            schemas.CountryCapacity(
                country=c,
                beds=t.beds,
                occupied=t.occupied,
                held=t.held,
                out_of_service=t.out_of_service,
                free=t.free,
                forecast=_days(days, t.forecast),
            )
            for c, t in forecast.by_country(loads)
        ],
    )
