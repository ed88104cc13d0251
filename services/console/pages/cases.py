"""For risk analysts: the case list (level, status, re-assessments due), the search by
name, intake with her personal data, and a case's page: her personal data only when asked
for (an audited read in risk), the assessment history and the timeline with the time each
step took (refreshed by htmx polling; a reload link without JavaScript)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request, Response, get, post

from services.console import backend
from services.console.accounts.api import flash
from services.console.accounts.sessions import read_form, read_form_lists, require_role
from services.console.pages import consents
from services.console.pages.capacity import _choices
from services.console.web import page, see_other

OPTS = {"include_in_schema": False}
ANALYST = "risk_analyst"
LEVELS = ("low", "medium", "high", "extreme")
LINES = (
    "land_and_territory", "indigenous_rights", "womens_rights", "sexual_and_reproductive_rights",
    "lgbti_rights", "journalism", "search_for_the_disappeared", "labour_rights", "migrants_rights",
    "environment", "other",
)  # fmt: skip
TIMELINE_REFRESH_SECONDS = 5


def _config(request: Request):
    return request.app.state.runtime.config


def _offset(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 9 else 0


@get("/cases", **OPTS)
async def cases(request: Request) -> Response:
    """Cases of the analyst's countries (filters: status, level, country) and the open cases
    due for a new assessment."""
    account = require_role(request, ANALYST)
    q = request.query_params
    choices = _choices(account)
    chosen = {
        "status": q.get("status") if q.get("status") in ("open", "closed") else "",
        "level": q.get("level") if q.get("level") in LEVELS else "",
        "country": q.get("country") if q.get("country") in choices else "",
    }
    offset = _offset(q.get("offset"))
    config = _config(request)
    data = await backend.call(
        config, account, "risk", "GET", "/cases", params={**chosen, "limit": 50, "offset": offset}
    )
    due = await backend.call(
        config,
        account,
        "risk",
        "GET",
        "/reassessments/due",
        params={"country": chosen["country"], "limit": 50},
    )
    return page(
        "case_list.html", request, cases=data["items"], total=data["total"], offset=offset, due=due["items"],
        due_total=due["total"], chosen=chosen, choices=choices, levels=LEVELS, done=flash(request),
    )  # fmt: skip


@get("/cases/search", **OPTS)
async def search_form(request: Request) -> Response:
    require_role(request, ANALYST)
    return page("case_search.html", request, typed="", result=None)


@post("/cases/search", **OPTS)
async def search(request: Request) -> Response:
    """Cases whose defender's name holds every word typed (risk's blind index: accents and
    case do not matter). A POST: her name never sits in a URL, the browser's history or a
    log; it is sent to risk and never kept here."""
    account = require_role(request, ANALYST)
    form = await read_form(request)
    typed = form.get("name", "").strip()[:200]
    result = None
    if typed:
        result = await backend.call(
            _config(request), account, "risk", "GET", "/cases/search", params={"name": typed, "limit": 50}
        )
    return page("case_search.html", request, typed=typed, result=result)


@get("/cases/new", **OPTS)
async def intake_form(request: Request) -> Response:
    """Intake. The country is chosen first (its regions are a list), by a form of its own."""
    account = require_role(request, ANALYST)
    choices = _choices(account)
    wanted = request.query_params.get("country")
    chosen = wanted if wanted in choices else (choices[0] if choices else "")
    return page(
        "case_new.html", request, choices=choices, chosen=chosen, lines=LINES,
        consent_purposes=consents.PURPOSES,
    )  # fmt: skip


def _ages(raw: str) -> list[int]:
    """Children's ages typed as "4, 9": numbers only (the service checks their range)."""
    return [int(part) for part in raw.replace(";", ",").replace(" ", ",").split(",") if part.isdigit()][:20]


def _whole(raw: str | None, default: int) -> int:
    return int(raw) if raw and raw.isdigit() and len(raw) < 4 else default


@post("/cases", **OPTS)
async def intake(request: Request) -> Response:
    account = require_role(request, ANALYST)
    lists = await read_form_lists(request)
    form = {k: v[0] for k, v in lists.items() if v}
    contacts = [line.strip() for line in form.get("contacts", "").splitlines() if line.strip()]
    body = {
        "country": form.get("country", ""),
        "region": form.get("region", ""),
        "line_of_defence": form.get("line_of_defence", ""),
        "personal": {
            "full_name": form.get("full_name", "").strip(),
            "organization": form.get("organization", "").strip(),
            "contacts": contacts[:10],
            "notes": form.get("notes", "").strip(),
        },
        "party": {
            "adults": _whole(form.get("adults"), 1),
            "children_ages": _ages(form.get("children_ages", "")),
        },
        # What she agreed to share, ticked on the same form (without it nothing is
        # automatic): recorded with the case in one transaction, so a failure leaves neither.
        "consents": [p for p in consents.PURPOSES if p in lists.get("purpose", [])],
    }
    created = await backend.call(
        _config(request), account, "risk", "POST", "/cases", json=body,
        idempotency_key=form.get("idempotency_key") or None,
    )  # fmt: skip
    return see_other(f"/cases/{created['id']}?done=case_opened")


async def _timeline(config, account, case_id: uuid.UUID) -> dict[str, Any]:
    timeline = await backend.call(config, account, "risk", "GET", f"/cases/{case_id}/timeline")
    longest = max((s["since_previous_seconds"] for s in timeline["steps"]), default=0) or 1
    for step in timeline["steps"]:
        # The bar's length: the time the step took, against the longest step of this case.
        step["bar_percent"] = max(2, round(100 * step["since_previous_seconds"] / longest))
    return timeline


async def _case_page(request: Request, case_id: uuid.UUID, *, personal: bool) -> Response:
    account = require_role(request, ANALYST)
    config = _config(request)
    personal_data = None
    if personal:
        # The audited reads: her personal data, and the assessments' notes.
        personal_data = (await backend.call(config, account, "risk", "GET", f"/cases/{case_id}"))["personal"]
    case = await backend.call(config, account, "risk", "GET", f"/cases/{case_id}/summary")
    history = await backend.call(
        config, account, "risk", "GET", f"/cases/{case_id}/assessments",
        params={"limit": 50, "notes": "true" if personal else "false"},
    )  # fmt: skip
    timeline = await _timeline(config, account, case_id)
    consents_now = consents.current_by_purpose(await consents.of_case(config, account, case_id))
    return page(
        "case.html", request, case=case, personal=personal_data, history=history["items"], timeline=timeline,
        refresh=TIMELINE_REFRESH_SECONDS, done=flash(request), consents_now=consents_now,
        consent_purposes=consents.PURPOSES,
    )  # fmt: skip


@get("/cases/{case_id:uuid}", **OPTS)
async def case(request: Request, case_id: uuid.UUID) -> Response:
    """The case without her personal data: a button asks for it (and risk audits the read)."""
    return await _case_page(request, case_id, personal=False)


@post("/cases/{case_id:uuid}/personal", **OPTS)
async def reveal(request: Request, case_id: uuid.UUID) -> Response:
    """The case with her personal data and the assessments' notes, shown in this answer only
    (never in a URL, never kept by the console; the page is not cached)."""
    await read_form(request)
    return await _case_page(request, case_id, personal=True)


@get("/cases/{case_id:uuid}/timeline", **OPTS)
async def timeline(request: Request, case_id: uuid.UUID) -> Response:
    """The timeline alone, for htmx polling; a plain request goes to the case page."""
    if request.headers.get("hx-request") != "true":
        return see_other(f"/cases/{case_id}#timeline")
    account = require_role(request, ANALYST)
    data = await _timeline(_config(request), account, case_id)
    return page(
        "case_timeline.html",
        request,
        timeline=data,
        case={"id": str(case_id)},
        refresh=TIMELINE_REFRESH_SECONDS,
    )


ROUTES = [cases, search_form, search, intake_form, intake, case, reveal, timeline]
