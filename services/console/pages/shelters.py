"""For coordinators: register shelters, add beds, out-of-service periods, see addresses,
close and reopen, report a shelter compromised (two steps, then what it caused)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from litestar import Request, Response, get, post

from services.console import backend
from services.console.accounts.api import flash
from services.console.accounts.sessions import read_form, require_role
from services.console.pages.capacity import _choices
from services.console.web import page, see_other

OPTS = {"include_in_schema": False}
KINDS = ("shelter", "safe_house", "self_care_centre", "hostel", "halfway_house")
ACCEPTS = ("women", "children", "families", "lgbti")
OOS_REASONS = ("repair", "cleaning", "safety", "other")


def _config(request: Request):
    return request.app.state.runtime.config


def _day(raw: str | None, plus: int) -> str:
    """A date from the form as a UTC instant: the start of the first day, the end of the last."""
    try:
        return (date.fromisoformat(raw or "") + timedelta(days=plus)).isoformat() + "T00:00:00Z"
    except ValueError:
        return ""  # the service refuses it as a missing value, and the page says so


def _count(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() else 0


@get("/shelters", **OPTS)
async def shelters(request: Request) -> Response:
    """The shelters of the person's countries and the form to register one. The form offers
    the regions of one country (``?country=``, the first of the person's by default): the
    country is chosen first, by a form of its own, so this works without JavaScript."""
    account = require_role(request, "network_staff")
    data = await backend.call(
        _config(request), account, "shelters", "GET", "/shelters", params={"limit": 200}
    )
    choices = _choices(account)
    wanted = request.query_params.get("country")
    chosen = wanted if wanted in choices else (choices[0] if choices else "")
    return page(
        "shelters.html", request, shelters=data["items"], total=data["total"], kinds=KINDS, accepts=ACCEPTS,
        choices=choices, chosen=chosen, can_coordinate=account.has_role("shelter_coordinator"),
        done=flash(request),
    )  # fmt: skip


@post("/shelters", **OPTS)
async def register(request: Request) -> Response:
    account = require_role(request, "shelter_coordinator")
    await read_form(request)
    form = await request.form()
    beds = []
    if _count(form.get("regular_beds")):
        beds.append({"room": str(form.get("room") or "1"), "count": _count(form.get("regular_beds"))})
    if _count(form.get("child_beds")):
        beds.append(
            {
                "room": str(form.get("room") or "1"),
                "count": _count(form.get("child_beds")),
                "child_sized": True,
            }
        )
    body = {
        "code": str(form.get("code", "")).strip(),
        "kind": str(form.get("kind", "shelter")),
        "country": str(form.get("country", "")),
        "region": str(form.get("region", "")),
        "address": str(form.get("address", "")).strip(),
        "contact": str(form.get("contact", "")).strip(),
        "accepts": [a for a in form.getall("accepts") if a in ACCEPTS],
        "accessible": form.get("accessible") == "on",
        "beds": beds,
    }
    created = await backend.call(
        _config(request), account, "shelters", "POST", "/shelters", json=body,
        idempotency_key=str(form.get("idempotency_key") or "") or None,
    )  # fmt: skip
    return see_other(f"/shelters/{created['id']}?done=shelter")


@get("/shelters/{shelter_id:uuid}", **OPTS)
async def shelter(request: Request, shelter_id: uuid.UUID) -> Response:
    """One shelter; its address only for coordinators (the service decides, too)."""
    account = require_role(request, "network_staff")
    config = _config(request)
    item = await backend.call(config, account, "shelters", "GET", f"/shelters/{shelter_id}")
    beds = await backend.call(config, account, "shelters", "GET", f"/shelters/{shelter_id}/beds")
    coordinator = account.has_role("shelter_coordinator")
    if not coordinator:
        item.pop("address", None)
        item.pop("contact", None)
    periods = {}
    if coordinator:
        for bed in beds:
            periods[bed["id"]] = await backend.call(
                config, account, "shelters", "GET", f"/shelters/{shelter_id}/beds/{bed['id']}/out-of-service"
            )
    return page(
        "shelter.html", request, shelter=item, beds=beds, periods=periods, can_coordinate=coordinator,
        reasons=OOS_REASONS, done=flash(request), result=None,
    )  # fmt: skip


@post("/shelters/{shelter_id:uuid}/beds", **OPTS)
async def add_beds(request: Request, shelter_id: uuid.UUID) -> Response:
    account = require_role(request, "shelter_coordinator")
    form = await read_form(request)
    body = {
        "room": form.get("room", "").strip() or "1",
        "count": _count(form.get("count")) or 1,
        "child_sized": form.get("child_sized") == "on",
        "accessible": form.get("accessible") == "on",
    }
    await backend.call(
        _config(request), account, "shelters", "POST", f"/shelters/{shelter_id}/beds", json=body,
        idempotency_key=form.get("idempotency_key") or None,
    )  # fmt: skip
    return see_other(f"/shelters/{shelter_id}?done=beds")


@post("/shelters/{shelter_id:uuid}/beds/{bed_id:uuid}/out-of-service", **OPTS)
async def out_of_service(request: Request, shelter_id: uuid.UUID, bed_id: uuid.UUID) -> Response:
    account = require_role(request, "shelter_coordinator")
    form = await read_form(request)
    body = {
        "start": _day(form.get("start"), 0),
        "end": _day(form.get("end"), 1),
        "reason": form.get("reason", "other"),
    }
    path = f"/shelters/{shelter_id}/beds/{bed_id}/out-of-service"
    await backend.call(_config(request), account, "shelters", "POST", path, json=body)
    return see_other(f"/shelters/{shelter_id}?done=oos")


@post("/shelters/{shelter_id:uuid}/beds/{bed_id:uuid}/out-of-service/{period_id:uuid}/end", **OPTS)
async def back_in_service(
    request: Request, shelter_id: uuid.UUID, bed_id: uuid.UUID, period_id: uuid.UUID
) -> Response:
    account = require_role(request, "shelter_coordinator")
    await read_form(request)
    path = f"/shelters/{shelter_id}/beds/{bed_id}/out-of-service/{period_id}"
    await backend.call(_config(request), account, "shelters", "DELETE", path)
    return see_other(f"/shelters/{shelter_id}?done=oos_removed")


@post("/shelters/{shelter_id:uuid}/{step:str}", **OPTS)
async def status_step(request: Request, shelter_id: uuid.UUID, step: str) -> Response:
    """Close, reopen, or report compromised: the last only after a second, explicit step."""
    account = require_role(request, "shelter_coordinator")
    form = await read_form(request)
    config = _config(request)
    if step in ("close", "reopen"):
        await backend.call(config, account, "shelters", "POST", f"/shelters/{shelter_id}/{step}")
        return see_other(f"/shelters/{shelter_id}?done={'closed' if step == 'close' else 'reopened'}")
    if step != "compromise":
        return see_other(f"/shelters/{shelter_id}")
    item = await backend.call(config, account, "shelters", "GET", f"/shelters/{shelter_id}")
    reason = form.get("reason", "").strip()
    if form.get("sure") != "yes" or not reason:
        return page("compromise.html", request, shelter=item, reason=reason, result=None)
    result = await backend.call(
        config, account, "shelters", "POST", f"/shelters/{shelter_id}/compromise", json={"reason": reason}
    )
    return page("compromise.html", request, shelter=item, reason="", result=result)


ROUTES = [shelters, register, shelter, add_beds, out_of_service, back_in_service, status_step]
