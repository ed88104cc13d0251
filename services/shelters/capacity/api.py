"""HTTP routes of availability and capacity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from litestar import get
from litestar.params import Parameter

from services.shelters.capacity import schemas, service
from services.shelters.fields import RegionQ
from services.shelters.http import STAFF, CountryQ
from shared.errors import BadInput
from shared.http import Caller, Rt
from shared.language import AcceptLanguage, named

DEFAULT_PERIOD = timedelta(days=30)  # the default stay


def _moment(value: str | None, name: str) -> datetime | None:
    """A date (``2026-11-22``, midnight UTC) or an ISO 8601 time; without an offset, UTC."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise BadInput(
            f"'{name}' must be a date (2026-11-22) or an ISO 8601 time (2026-11-22T18:00:00Z)",
            code="availability.bad_time",
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@get("/availability", operation_id="getAvailability", guards=[STAFF], tags=["capacity"])
async def get_availability(
    rt: Rt,
    principal: Caller,
    country: CountryQ,
    region: RegionQ,
    start: Annotated[
        str | None,
        Parameter(query="from", max_length=40, default=None, description="date or time; default now"),
    ],
    end: Annotated[
        str | None, Parameter(query="to", max_length=40, default=None, description="default: from + 30 days")
    ],
    adults: Annotated[int, Parameter(ge=0, le=20)] = 1,
    children: Annotated[int, Parameter(ge=0, le=20)] = 0,
    accessible: bool = False,
    lang: AcceptLanguage = None,
) -> schemas.Availability:
    """Per open shelter: beds free for the whole period and whether the party fits together."""
    begins = _moment(start, "from") or datetime.now(UTC)
    ends = _moment(end, "to") or begins + DEFAULT_PERIOD
    result = await service.availability(
        rt,
        principal,
        country=country,
        region=region,
        start=begins,
        end=ends,
        adults=adults,
        children=children,
        accessible=accessible,
    )
    return named(result, lang)


@get("/capacity", operation_id="getCapacity", guards=[STAFF], tags=["capacity"])
async def get_capacity(
    rt: Rt, principal: Caller, country: CountryQ, lang: AcceptLanguage = None
) -> schemas.Capacity:
    """Occupancy now per shelter and country, and free beds for each of the next 14 days."""
    return named(await service.capacity(rt, principal, country=country), lang)


ROUTES = [get_availability, get_capacity]
