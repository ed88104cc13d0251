"""HTTP routes of availability and capacity."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

import msgspec
from litestar import get
from litestar.params import Parameter

from services.shelters.capacity import schemas, service
from services.shelters.fields import RegionQ
from services.shelters.http import STAFF, CountryQ
from shared.errors import BadInput, Invalid
from shared.http import Caller, Rt
from shared.language import AcceptLanguage, named

DEFAULT_PERIOD = timedelta(days=30)  # the default stay


# A date (midnight UTC) or an RFC 3339 time with its offset; the document says the same.
MOMENT_SCHEMA = {
    "any_of": [{"type": "string", "format": "date"}, {"type": "string", "format": "date-time"}],
}
# Beyond these a time is no stay (and a year-1 or year-9999 time has no UTC twin).
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(9000, 1, 1, tzinfo=UTC)
At = Annotated[datetime, msgspec.Meta(tz=True)]


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        if len(value) == len("2026-11-22"):
            moment = datetime.combine(msgspec.convert(value, date), time(), UTC)
        else:
            moment = msgspec.convert(value, At)
    except msgspec.ValidationError:
        raise BadInput(
            f"'{name}' must be a date (2026-11-22) or an RFC 3339 time with its offset (2026-11-22T18:00:00Z)",
            code="availability.bad_time",
            extra={"field": name},
        ) from None
    if not EARLIEST <= moment < LATEST:
        raise Invalid(f"'{name}' must be between 1970 and 9000", code="availability.out_of_range")
    return moment.astimezone(UTC)


@get("/availability", operation_id="getAvailability", guards=[STAFF], tags=["capacity"])
async def get_availability(
    rt: Rt,
    principal: Caller,
    country: CountryQ,
    region: RegionQ,
    start: Annotated[
        str | None,
        Parameter(
            query="from", max_length=40, default=None, schema_extra=MOMENT_SCHEMA, description="default: now"
        ),
    ],
    end: Annotated[
        str | None,
        Parameter(
            query="to",
            max_length=40,
            default=None,
            schema_extra=MOMENT_SCHEMA,
            description="default: from + 30 days",
        ),
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
