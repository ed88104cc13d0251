"""For admins: the state of the system, one card per service (ready, outbox backlog and the
age of its oldest event, each consumer's lag, dead letters), with small SVG bars."""

from __future__ import annotations

import asyncio

from litestar import Request, Response, get
from markupsafe import Markup

from services.console import backend
from services.console.accounts.sessions import require_role
from services.console.web import page
from shared.config import SERVICES

OPTS = {"include_in_schema": False}
# An outbox row older than this, or a consumer this far behind, is shown as a warning.
OUTBOX_WARN_SECONDS = 60.0
LAG_WARN = 100


async def statuses(config, account) -> dict[str, dict | None]:
    """Each service's ``GET /status``; None for one that did not answer."""

    async def one(service: str) -> dict | None:
        try:
            return await backend.call(config, account, service, "GET", "/status")
        except backend.ServiceProblem:
            return None

    found = await asyncio.gather(*(one(s) for s in SERVICES))
    return dict(zip(SERVICES, found, strict=True))


def bar(value: int | float | None, top: int | float, label: str) -> Markup:
    """A horizontal bar (server-side SVG): ``value`` against the largest on the page."""
    width = 0 if not value or not top else max(2, round(100 * min(value, top) / top))
    return Markup(
        '<svg class="bar" viewBox="0 0 100 8" width="64" height="8" preserveAspectRatio="none" role="img" aria-label="{label}">'
        '<rect x="0" y="0" width="100" height="8" class="bar-track"/>'
        '<rect x="0" y="0" width="{w}" height="8" class="bar-fill"/></svg>'
    ).format(label=label, w=width)


def health(status: dict | None) -> str:
    """ok | warn | down: what the badge says."""
    if status is None or not status.get("ready"):
        return "down"
    outbox = status.get("outbox") or {}
    old = (outbox.get("oldest_age_seconds") or 0) > OUTBOX_WARN_SECONDS
    behind = any((c.get("lag") or 0) > LAG_WARN or c.get("state") != "ok" for c in status["consumers"])
    return "warn" if old or behind or status.get("dead_letters") else "ok"


@get("/admin/system", **OPTS)
async def system(request: Request) -> Response:
    account = require_role(request, "admin")
    found = await statuses(request.app.state.runtime.config, account)
    values = [
        *((s["outbox"] or {}).get("pending") or 0 for s in found.values() if s and s.get("outbox")),
        *(c.get("lag") or 0 for s in found.values() if s for c in s["consumers"]),
    ]
    top = max([1, *values])
    cards = [{"service": name, "status": status, "health": health(status)} for name, status in found.items()]
    return page("admin_system.html", request, cards=cards, top=top, bar=bar)


ROUTES = [system]
