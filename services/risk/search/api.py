"""HTTP route of the name search: a thin handler over ``search.service``."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.params import QueryParameter

from services.risk.cases.api import CountryQuery
from services.risk.cases.schemas import NO_NUL, CaseSummary
from services.risk.search import service
from shared.auth import requires
from shared.http import Caller, Rt
from shared.language import AcceptLanguage, named
from shared.pagination import Limit, Offset, Page

ANALYST = requires("risk_analyst")


@get("/cases/search", operation_id="searchCases", guards=[ANALYST], tags=["cases"])
async def search_cases(
    rt: Rt,
    principal: Caller,
    name: Annotated[
        str,
        QueryParameter(
            min_length=1,
            max_length=200,
            pattern=NO_NUL,
            description="her name or part of it: whole words, any case, with or without accents",
        ),
    ],
    country: CountryQuery = None,
    limit: Limit = 50,
    offset: Offset = 0,
    lang: AcceptLanguage = None,
) -> Page[CaseSummary]:
    """Cases in your countries whose defender's name holds every word you typed (accents
    and case do not matter), without personal data. Each search is written to the audit
    log with how many cases it found, never with what was searched."""
    page = await service.search(rt, principal, name=name, country=country, limit=limit, offset=offset)
    return named(page, lang)


ROUTES = [search_cases]
