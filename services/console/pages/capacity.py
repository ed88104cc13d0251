"""Capacity (per country and shelter, with the forecast) and the availability search."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get

from services.console import backend
from services.console.accounts.api import flash
from services.console.accounts.sessions import person, require_role
from services.console.pages.charts import forecast_svg, run_out_days
from services.console.web import page, see_other
from shared import places

OPTS = {"include_in_schema": False}


HOME_DESKS = (
    ("network_staff", "/capacity"),
    ("risk_analyst", "/cases"),
    ("fund_committee", "/committee"),
    ("fund_admin", "/fund-office"),
)


@get("/", **OPTS)
async def home(request: Request) -> Response:
    account = person(request)
    done = request.query_params.get("done")
    # Each role starts at its own desk (an analyst or a committee member has no capacity page).
    start = "/notifications"
    for role, desk in HOME_DESKS:
        if account.has_role(role):
            start = desk
            break
    return see_other(start + (f"?done={done}" if done else ""))


@get("/capacity", **OPTS)
async def capacity(request: Request) -> Response:
    """Beds, occupied, held, out of service and free, per country and shelter, with the
    14-day forecast and the days free beds run out."""
    account = require_role(request, "network_staff")
    country = request.query_params.get("country") or None
    if country and country not in account.countries and "admin" not in account.roles:
        country = None
    data = await backend.call(
        request.app.state.runtime.config, account, "shelters", "GET", "/capacity", params={"country": country}
    )
    countries = [
        {**c, "chart": forecast_svg(c["forecast"], c["beds"]), "runs_out": run_out_days(c["forecast"])}
        for c in data["countries"]
    ]
    return page(
        "capacity.html", request, at=data["at"], countries=countries, shelters=data["shelters"],
        chosen=country, choices=_choices(account), done=flash(request),
    )  # fmt: skip


def _choices(account) -> list[str]:
    from services.console.accounts.service import COUNTRIES

    return list(COUNTRIES) if "admin" in account.roles else sorted(account.countries)


def _int(raw: str | None, default: int, low: int, high: int) -> int:
    try:
        return min(max(int(raw or default), low), high)
    except ValueError:
        return default


@get("/availability", **OPTS)
async def availability(request: Request) -> Response:
    """Shelters that fit a family: counts, accessibility, dates and regions to avoid.
    Staff never see addresses: the service does not send them here, and neither do we."""
    account = require_role(request, "network_staff")
    q = request.query_params
    search: dict[str, Any] = {
        "country": q.get("country") or "",
        "adults": _int(q.get("adults"), 1, 0, 20),
        "children": _int(q.get("children"), 0, 0, 20),
        "accessible": q.get("accessible") == "on",
        "from": q.get("from") or "",
        "to": q.get("to") or "",
        # Regions to avoid are codes ticked from the list (unknown values are dropped).
        "avoid": [code for code in q.getall("avoid", []) if places.is_region(code)],
    }
    result = None
    if q.get("search"):
        data = await backend.call(
            request.app.state.runtime.config, account, "shelters", "GET", "/availability",
            params={
                "country": search["country"] or None, "adults": search["adults"], "children": search["children"],
                "accessible": "true" if search["accessible"] else "false",
                "from": search["from"] or None, "to": search["to"] or None,
            },
        )  # fmt: skip
        avoid = set(search["avoid"])
        shelters = [
            {k: v for k, v in s.items() if k not in ("address", "contact")}
            for s in data["shelters"]
            if s["fits_party"] and s["region"] not in avoid
        ]
        result = {
            "shelters": shelters,
            "countries": data["countries"],
            "start": data["start"],
            "end": data["end"],
        }
    choices = _choices(account)
    # The regions offered are those of the chosen country, or of each of the person's.
    avoidable = [search["country"]] if search["country"] in choices else choices
    return page(
        "availability.html", request, search=search, result=result, choices=choices, avoidable=avoidable,
        avoided_countries={places.country_of(code) for code in search["avoid"]},
    )  # fmt: skip


ROUTES = [home, capacity, availability]
