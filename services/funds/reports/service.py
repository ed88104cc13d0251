"""The grants report: granted and paid by country, purpose and month (currencies never
mixed), and the hours from opening to decision and to first payment."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from services.funds.applications.store import lines_of
from services.funds.domain.money import allocate
from services.funds.domain.reports import percentile
from services.funds.reports import store
from services.funds.reports.schemas import Distribution, GrantRow, GrantsReport
from shared.auth import Principal
from shared.errors import Invalid
from shared.runtime import Runtime


def _bounds(start: date | None, end: date | None) -> tuple[datetime, datetime]:
    """Both days included; by default everything up to today."""
    lo = datetime.combine(start, time(), UTC) if start else datetime(2000, 1, 1, tzinfo=UTC)
    if end is None:
        hi = datetime.now(UTC) + timedelta(days=1)
    elif end < date.max:
        hi = datetime.combine(end + timedelta(days=1), time(), UTC)  # the last day included
    else:
        hi = datetime.max.replace(tzinfo=UTC)  # no day follows the calendar's last
    if hi <= lo:
        raise Invalid(
            "'from' must be on or before 'to' (dates as YYYY-MM-DD, both included)",
            code="report.bad_range",
            extra={"field": "from"},
        )
    return lo, hi


async def grants_report(
    rt: Runtime, principal: Principal, start: date | None, end: date | None, country: str | None
) -> GrantsReport:
    countries = principal.visible_countries(country)
    lo, hi = _bounds(start, end)
    async with rt.pool.acquire() as conn:
        granted = await store.granted_lines(conn, countries, lo, hi)
        paid = await store.payments(conn, countries, lo, hi)
        lines = await lines_of(conn, list({p["application_id"] for p in paid}))
        durations = await store.durations(conn, countries, lo, hi)
    cells: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for g in granted:
        cells[(g["country"], g["purpose"], g["month"], g["currency"])][0] += g["granted"]
    for p in paid:
        # A tranche pays the purposes in the proportions they were approved in.
        app_lines = lines[p["application_id"]]
        shares = allocate(p["amount"], [r["approved"] or 0 for r in app_lines])
        for r, share in zip(app_lines, shares, strict=True):
            if share:
                cells[(p["country"], r["purpose"], p["month"], p["currency"])][1] += share
    rows = [
        GrantRow(country=k[0], purpose=k[1], month=k[2], currency=k[3], granted=v[0], paid=v[1])
        for k, v in sorted(cells.items())
    ]
    to_decision = [float(d["to_decision"]) for d in durations if d["to_decision"] is not None]
    to_payment = [float(d["to_payment"]) for d in durations if d["to_payment"] is not None]
    return GrantsReport(
        rows=rows, to_decision=_distribution(to_decision), to_first_payment=_distribution(to_payment)
    )


def _distribution(values: list[float]) -> Distribution:
    med = percentile(values, 0.5)
    p90 = percentile(values, 0.9)
    return Distribution(
        count=len(values),
        median_hours=None if med is None else round(med, 4),
        p90_hours=None if p90 is None else round(p90, 4),
    )
