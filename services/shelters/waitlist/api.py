"""HTTP route of the waitlist."""

from __future__ import annotations

from litestar import get

from services.shelters.http import STAFF, CountryQ
from services.shelters.waitlist import schemas, service
from shared.http import Caller, Rt
from shared.language import AcceptLanguage, named
from shared.pagination import Limit, Offset, Page


@get("/waitlist", operation_id="getWaitlist", guards=[STAFF], tags=["placements"])
async def get_waitlist(
    rt: Rt,
    principal: Caller,
    country: CountryQ,
    limit: Limit = 50,
    offset: Offset = 0,
    lang: AcceptLanguage = None,
) -> Page[schemas.WaitlistEntry]:
    """Requests waiting for beds: extreme risk first, then the longest waiting."""
    items, total = await service.waitlist(rt, principal, country=country, limit=limit, offset=offset)
    return named(Page(items=items, total=total, limit=limit, offset=offset), lang)


ROUTES = [get_waitlist]
