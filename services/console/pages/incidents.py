"""For risk analysts: the registry of attacks (the form, the latest entries) and its
statistics drawn as SVG on the server: by month, aggression type, country, and the share
with gender components (network staff read the statistics too)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from litestar import Request, Response, get, post

from services.console import backend
from services.console.accounts.api import flash
from services.console.accounts.sessions import read_form_lists, require_role
from services.console.i18n import gettext_
from services.console.pages.capacity import _choices
from services.console.pages.charts import bars_svg, months_svg, share_svg
from services.console.pages.risk_words import WORDS, word
from services.console.web import country_name, page, see_other

OPTS = {"include_in_schema": False}
ANALYST = "risk_analyst"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _config(request: Request):
    return request.app.state.runtime.config


def _day(raw: str | None) -> str:
    try:
        return date.fromisoformat(raw or "").isoformat()
    except ValueError:
        return ""


@get("/incidents", **OPTS)
async def incidents(request: Request) -> Response:
    """The form (country first, then its regions) and the latest incidents."""
    account = require_role(request, ANALYST)
    q = request.query_params
    choices = _choices(account)
    chosen = q.get("country") if q.get("country") in choices else (choices[0] if choices else "")
    case_id = q.get("case") if UUID.match(q.get("case") or "") else ""
    latest = await backend.call(_config(request), account, "risk", "GET", "/incidents", params={"limit": 20})
    return page(
        "incidents.html", request, choices=choices, chosen=chosen, case_id=case_id, latest=latest["items"],
        total=latest["total"], words=WORDS, today=date.today().isoformat(), done=flash(request),
    )  # fmt: skip


@post("/incidents", **OPTS)
async def record(request: Request) -> Response:
    account = require_role(request, ANALYST)
    form = await read_form_lists(request)

    def one(key: str) -> str:
        return (form.get(key) or [""])[-1].strip()

    def codes(key: str, kind: str) -> list[str]:
        return [c for c in form.get(key, []) if c in WORDS[kind]]

    gender = one("gender_components") == "yes"
    body: dict[str, Any] = {
        "occurred_on": _day(one("occurred_on")),
        "country": one("country"),
        "region": one("region"),
        "scope": one("scope") if one("scope") in WORDS["scope"] else "individual",
        "aggression_types": codes("aggression_types", "aggression"),
        "perpetrator_types": codes("perpetrator_types", "perpetrator"),
        "gender_components": gender,
        "gender_component_types": codes("gender_component_types", "gender_component") if gender else [],
        "close_people_attacked": bool(form.get("close_people_attacked")),
    }
    if UUID.match(one("case_id")):
        body["case_id"] = one("case_id")
    await backend.call(_config(request), account, "risk", "POST", "/incidents", json=body)
    if "case_id" in body:
        return see_other(f"/cases/{body['case_id']}?done=incident")
    return see_other("/incidents?done=incident")


def _named(counts: dict[str, int], kind: str) -> list[tuple[str, int]]:
    return [(word(kind, code), n) for code, n in counts.items()]


@get("/incidents/stats", **OPTS)
async def stats(request: Request) -> Response:
    """Counts for a regional report, as charts and in words."""
    account = require_role(request, ANALYST, "network_staff")
    q = request.query_params
    choices = _choices(account)
    chosen = {
        "from": _day(q.get("from")),
        "to": _day(q.get("to")),
        "country": q.get("country") if q.get("country") in choices else "",
    }
    data = await backend.call(_config(request), account, "risk", "GET", "/incidents/stats", params=chosen)
    total = data["total"]
    share_label = gettext_("%(part)s of %(whole)s attacks had gender components (%(percent)s%%)") % {
        "part": data["with_gender_components"], "whole": total, "percent": data["gender_share_percent"],
    }  # fmt: skip
    charts = {
        "month": months_svg(data["by_month"], gettext_("Attacks per month")),
        "aggression": bars_svg(_named(data["by_aggression_type"], "aggression"), gettext_("Attacks by type of aggression")),
        "country": bars_svg([(country_name(c), n) for c, n in data["by_country"].items()], gettext_("Attacks by country")),
        "share": share_svg(data["with_gender_components"], total, share_label),
        "gender": bars_svg(_named(data["by_gender_component"], "gender_component"), gettext_("Gender components")),
        "perpetrator": bars_svg(_named(data["by_perpetrator_type"], "perpetrator"), gettext_("Attacks by perpetrator")),
    }  # fmt: skip
    return page(
        "incident_stats.html", request, data=data, charts=charts, share_label=share_label, chosen=chosen,
        choices=choices,
    )  # fmt: skip


ROUTES = [incidents, record, stats]
