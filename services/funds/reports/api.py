"""Route of the grants report."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from litestar import get
from litestar.params import QueryParameter

from services.funds.reports import service
from services.funds.reports.schemas import GrantsReport
from services.funds.schemas import CountryQuery
from shared.auth import requires
from shared.http import Caller, Rt
from shared.language import AcceptLanguage, named

READERS = requires("fund_committee", "fund_admin")


@get("/reports/grants", operation_id="grantsReport", guards=[READERS], tags=["reports"])
async def grants_report(
    rt: Rt,
    principal: Caller,
    from_: Annotated[date | None, QueryParameter(name="from", description="first day, YYYY-MM-DD")] = None,
    to: Annotated[date | None, QueryParameter(description="last day (included), YYYY-MM-DD")] = None,
    country: CountryQuery = None,
    lang: AcceptLanguage = None,
) -> GrantsReport:
    """Granted and paid by country, purpose and month (minor units, one row per currency);
    hours from application to decision and to first payment (median, p90)."""
    return named(await service.grants_report(rt, principal, from_, to, country), lang)
