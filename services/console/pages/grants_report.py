"""The grants report (``fund_committee`` and ``fund_admin``): granted and paid by month,
purpose and country, per currency, drawn as SVG on the server; median and p90 hours to a
decision and to the first payment; the same rows as CSV."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date

from litestar import Request, Response, get

from services.console import backend
from services.console.accounts.sessions import require_role
from services.console.i18n import gettext_
from services.console.pages.charts import money_bars_svg
from services.console.pages.money import fmt_minor, plain_major, word
from services.console.web import country_name, page

OPTS = {"include_in_schema": False}
ROLES = ("fund_committee", "fund_admin")


def _query(request: Request, account) -> dict[str, str]:
    params: dict[str, str] = {}
    for name in ("from", "to"):
        raw = request.query_params.get(name) or ""
        try:
            params[name] = date.fromisoformat(raw).isoformat()
        except ValueError:
            pass  # an empty or malformed day: the report's default
    country = request.query_params.get("country") or ""
    if country in account.countries:
        params["country"] = country
    return params


async def _report(request: Request) -> tuple[object, dict, dict]:
    account = require_role(request, *ROLES)
    params = _query(request, account)
    data = await backend.call(
        request.app.state.runtime.config, account, "funds", "GET", "/reports/grants", params=params
    )
    return account, params, data


def _charts(rows: list[dict]) -> list[dict]:
    """Per currency: granted and paid by month, by purpose and by country."""
    out = []
    for currency in sorted({r["currency"] for r in rows}):
        mine = [r for r in rows if r["currency"] == currency]

        def amount(value: int, currency: str = currency) -> str:
            return fmt_minor(value, currency)

        charts = []
        for key, title, name in (
            ("month", gettext_("Granted and paid by month"), lambda v: v),
            ("purpose", gettext_("Granted and paid by purpose"), lambda v: word("purpose", v)),
            ("country", gettext_("Granted and paid by country"), country_name),
        ):
            sums: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            for r in mine:
                sums[r[key]][0] += r["granted"]
                sums[r[key]][1] += r["paid"]
            bars = [(name(k), g, p) for k, (g, p) in sorted(sums.items())]
            label = f"{title} ({currency})"
            charts.append({"title": label, "svg": money_bars_svg(bars, label, amount), "bars": bars})
        total_g = sum(r["granted"] for r in mine)
        total_p = sum(r["paid"] for r in mine)
        out.append({"currency": currency, "charts": charts, "granted": total_g, "paid": total_p})
    return out


@get("/reports/grants", **OPTS)
async def report(request: Request) -> Response:
    account, params, data = await _report(request)
    return page(
        "fund_report.html", request, data=data, per_currency=_charts(data["rows"]), params=params,
        countries=account.countries, csv_query="&".join(f"{k}={v}" for k, v in params.items()),
    )  # fmt: skip


@get("/reports/grants.csv", **OPTS)
async def report_csv(request: Request) -> Response:
    """The report's rows; amounts in major units (exact decimals) with their currency."""
    _account, params, data = await _report(request)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["month", "country", "purpose", "currency", "granted", "paid"])
    for r in sorted(data["rows"], key=lambda r: (r["month"], r["country"], r["purpose"], r["currency"])):
        writer.writerow(
            [r["month"], r["country"], r["purpose"], r["currency"],
             plain_major(r["granted"], r["currency"]), plain_major(r["paid"], r["currency"])]
        )  # fmt: skip
    name = "grants-" + "-".join(params.get(k, "all") for k in ("from", "to")) + ".csv"
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
    )


ROUTES = [report, report_csv]
