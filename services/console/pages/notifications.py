"""The notifications panel: what needs this person's attention now (fed by the services'
events, see services/console/notifications), each with where to act on it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from litestar import Request, Response, get, post

from services.console.accounts.sessions import person, read_form
from services.console.notifications import service
from services.console.web import page, see_other

OPTS = {"include_in_schema": False}

# Where each kind is acted on.
WHERE = {
    "hold_expiring": lambda n: "/board",
    "emergency_due": lambda n: f"/committee/{n.subject_id}",
    "ratification_waiting": lambda n: f"/committee/{n.subject_id}",
    "reassessment_due": lambda n: f"/cases/{n.subject_id}",
}


@get("/notifications", **OPTS)
async def notifications(request: Request) -> Response:
    """Soonest first, with the time left; htmx refreshes the list every minute."""
    account = person(request)
    now = datetime.now(UTC)
    items = await service.for_account(request.app.state.runtime, account, now)
    rows = [
        {"notice": n, "href": WHERE[n.kind](n), "seconds_left": (n.due_at - now).total_seconds()}
        for n in items
    ]
    return page("notifications.html", request, rows=rows)


@post("/notifications/{notice_id:uuid}/dismiss", **OPTS)
async def dismiss(request: Request, notice_id: uuid.UUID) -> Response:
    """ "Seen": it leaves her panel (not anyone else's)."""
    account = person(request)
    await read_form(request)
    await service.dismiss(request.app.state.runtime, account, notice_id)
    return see_other("/notifications")


ROUTES = [notifications, dismiss]
