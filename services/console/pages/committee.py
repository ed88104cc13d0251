"""The committee room (``fund_committee``): the inbox of the applications of the funds
where she sits (emergency first, with the time left to the deadline, overdue ones marked;
flagged ones; emergency approvals waiting for ratification), an application with what she
needs to decide and nothing personal, her vote or her recusal.

A vote that alone releases money (the emergency track, within the emergency limit) is
never cast from the first form: the console answers with a page of its own that says so
plainly, and only its second form (``sure=yes``) votes. Works without JavaScript.
"""

from __future__ import annotations

import uuid

from litestar import Request, Response, get, post

from services.console import backend
from services.console.accounts.api import flash
from services.console.accounts.sessions import read_form, require_role
from services.console.pages.money import DECISIONS, seconds_until, to_minor
from services.console.web import page, see_other

OPTS = {"include_in_schema": False}
ROLE = "fund_committee"
RECUSAL_REASONS = ("conflict_of_interest", "family_tie", "other")


def _config(request: Request):
    return request.app.state.runtime.config


async def _mine(request: Request, account, **params) -> list[dict]:
    data = await backend.call(
        _config(request),
        account,
        "funds",
        "GET",
        "/applications",
        params={"mine": "true", "limit": 200, **params},
    )
    for item in data["items"]:
        item["seconds_left"] = seconds_until(item["due_at"])
        item["ratification_left"] = seconds_until(item.get("ratification_due_at"))
    return data["items"]


def _urgency(item: dict) -> tuple:
    # Emergency first; then the nearest deadline (overdue ones have the most negative time).
    return (item["track"] != "emergency", item["seconds_left"] or 0.0)


@get("/committee", **OPTS)
async def inbox(request: Request) -> Response:
    """To decide (emergency first, by time left), flagged, waiting for ratification."""
    account = require_role(request, ROLE)
    undecided = await _mine(request, account, status="pending") + await _mine(
        request, account, status="info_requested"
    )
    undecided.sort(key=_urgency)
    flagged = await _mine(request, account, flagged="true")
    flagged_ids = {a["id"] for a in flagged}
    ratifying = [
        a
        for a in await _mine(request, account, status="approved", ratified="false")
        if a["id"] not in flagged_ids
    ]
    return page(
        "committee_inbox.html", request, undecided=undecided, flagged=flagged, ratifying=ratifying,
        done=flash(request),
    )  # fmt: skip


async def _application(request: Request, account, app_id: uuid.UUID) -> tuple[dict, dict]:
    config = _config(request)
    app = await backend.call(config, account, "funds", "GET", f"/applications/{app_id}")
    seat = await backend.call(config, account, "funds", "GET", f"/applications/{app_id}/seat")
    app["seconds_left"] = seconds_until(app["due_at"])
    app["ratification_left"] = seconds_until(app.get("ratification_due_at"))
    return app, seat


@get("/committee/{app_id:uuid}", **OPTS)
async def application(request: Request, app_id: uuid.UUID) -> Response:
    """What she needs to decide: country, level and measures, party size, the lines with
    the suggested amounts, the tally; never a name, a place or a contact."""
    account = require_role(request, ROLE)
    app, seat = await _application(request, account, app_id)
    return page(
        "committee_application.html", request, app=app, seat=seat, reasons=RECUSAL_REASONS,
        decisions=DECISIONS, done=flash(request),
    )  # fmt: skip


@post("/committee/{app_id:uuid}/vote", **OPTS)
async def vote(request: Request, app_id: uuid.UUID) -> Response:
    account = require_role(request, ROLE)
    form = await read_form(request)
    app, seat = await _application(request, account, app_id)
    decision = form.get("decision", "")
    if decision not in DECISIONS:
        return see_other(f"/committee/{app_id}")
    amount = to_minor(form.get("amount"), app["currency"]) if decision == "approve" else None
    comment = form.get("comment", "").strip()
    bound = seat.get("alone_approves_up_to")
    if decision == "approve" and bound is not None and form.get("sure") != "yes":
        # What the service will approve: her amount, or what was asked capped by the ceiling.
        effective = amount if amount is not None else min(app["requested"], seat.get("ceiling") or 0)
        if effective <= bound:
            return page(
                "committee_confirm.html", request, app=app, seat=seat, amount=effective,
                typed=form.get("amount", ""), comment=comment,
            )  # fmt: skip
    body: dict = {"decision": decision}
    if amount is not None:
        body["amount"] = amount
    if comment:
        body["comment"] = comment
    result = await backend.call(
        _config(request), account, "funds", "POST", f"/applications/{app_id}/votes", json=body
    )
    return see_other(f"/committee/{app_id}?done=vote_{result['outcome']}")


@post("/committee/{app_id:uuid}/recuse", **OPTS)
async def recuse(request: Request, app_id: uuid.UUID) -> Response:
    """A conflict of interest, declared before voting: she no longer counts for the quorum."""
    account = require_role(request, ROLE)
    form = await read_form(request)
    reason = form.get("reason_code", "conflict_of_interest")
    body = {"reason_code": reason if reason in RECUSAL_REASONS else "conflict_of_interest"}
    await backend.call(
        _config(request), account, "funds", "POST", f"/applications/{app_id}/recusals", json=body
    )
    return see_other(f"/committee/{app_id}?done=recused")


ROUTES = [inbox, application, vote, recuse]
