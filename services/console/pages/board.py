"""The placements board (held with time left, confirmed, checked in), its actions, and
the waitlist. Every action is a plain form: with JavaScript off it posts and redirects;
with htmx the board refreshes itself every few seconds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from litestar import Request, Response, get, post

from services.console import backend
from services.console.accounts.api import flash
from services.console.accounts.sessions import read_form, require_role
from services.console.web import page, see_other

OPTS = {"include_in_schema": False}
COLUMNS = ("held", "confirmed", "checked_in")
# Steps that cannot be undone ask first, on a page of their own (works without JavaScript).
CONFIRM_FIRST = {"check-out", "cancel"}
ACTIONS = {
    "confirm": ("/confirm", "shelter_coordinator", "confirmed"),
    "check-in": ("/check-in", "shelter_coordinator", "checked_in"),
    "check-out": ("/check-out", "shelter_coordinator", "checked_out"),
    "cancel": ("/cancel", "network_staff", "cancelled"),
    "stay": ("/stay", "shelter_coordinator", "stay"),
}
CANCEL_REASONS = ("withdrawn", "no_longer_needed", "duplicate", "not_suitable", "other")


def _seconds_left(placement: dict) -> float | None:
    if not placement.get("hold_expires_at"):
        return None
    return (datetime.fromisoformat(placement["hold_expires_at"]) - datetime.now(UTC)).total_seconds()


@get("/board", **OPTS)
async def board(request: Request) -> Response:
    """Held, confirmed and checked-in placements; htmx asks for the columns alone."""
    account = require_role(request, "network_staff")
    config = request.app.state.runtime.config
    columns = {}
    for status in COLUMNS:
        data = await backend.call(
            config, account, "shelters", "GET", "/placements", params={"status": status, "limit": 100}
        )
        items = data["items"]
        for item in items:
            item["seconds_left"] = _seconds_left(item)
        columns[status] = items
    # The poll asks for the columns alone; a boosted link (also htmx) wants the whole page.
    polled = request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"
    template = "board_columns.html" if polled else "board.html"
    return page(
        template, request, columns=columns, done=flash(request), refresh=config.board_refresh_seconds,
        can_coordinate=account.has_role("shelter_coordinator"),
    )  # fmt: skip


@get("/placements/{placement_id:uuid}/ask/{action:str}", **OPTS)
async def ask(request: Request, placement_id: uuid.UUID, action: str) -> Response:
    """The confirmation step before a check-out or a cancellation."""
    if action not in CONFIRM_FIRST and action != "stay":
        return see_other("/board")
    account = require_role(request, ACTIONS[action][1])
    placement = await backend.call(
        request.app.state.runtime.config, account, "shelters", "GET", f"/placements/{placement_id}"
    )
    return page("ask.html", request, placement=placement, action=action, reasons=CANCEL_REASONS)


@post("/placements/{placement_id:uuid}/{action:str}", **OPTS)
async def act(request: Request, placement_id: uuid.UUID, action: str) -> Response:
    if action not in ACTIONS:
        return see_other("/board")
    suffix, role, done = ACTIONS[action]
    account = require_role(request, role)
    form = await read_form(request)
    if action in CONFIRM_FIRST and form.get("sure") != "yes":
        return see_other(f"/placements/{placement_id}/ask/{action}")
    body: dict = {}
    if action == "cancel" and form.get("reason") in CANCEL_REASONS:
        body["reason"] = form["reason"]
    if action in ("stay", "confirm") and form.get("stay_days", "").isdigit():
        body["stay_days"] = int(form["stay_days"])
    if action == "stay" and "stay_days" not in body:
        return see_other(f"/placements/{placement_id}/ask/stay")
    await backend.call(
        request.app.state.runtime.config,
        account,
        "shelters",
        "POST",
        f"/placements/{placement_id}{suffix}",
        json=body,
    )
    return see_other(f"/board?done={done}")


@get("/waitlist", **OPTS)
async def waitlist(request: Request) -> Response:
    """Who waits for beds, in the order they will be served, and for how long."""
    account = require_role(request, "network_staff")
    data = await backend.call(
        request.app.state.runtime.config, account, "shelters", "GET", "/waitlist", params={"limit": 200}
    )
    now = datetime.now(UTC)
    for row in data["items"]:
        row["waiting_seconds"] = (now - datetime.fromisoformat(row["requested_at"])).total_seconds()
    return page("waitlist.html", request, rows=data["items"], total=data["total"])


ROUTES = [board, ask, act, waitlist]
