"""For admins: every service's dead letters, replayed (through the consumer that failed it)
or discarded with a reason; both are written to the console's audit log."""

from __future__ import annotations

import asyncio

from litestar import Request, Response, get, post

from services.console import audit, backend
from services.console.accounts.api import flash
from services.console.accounts.sessions import read_form, require_role
from services.console.web import page, see_other
from shared.config import SERVICES
from shared.errors import BadInput

OPTS = {"include_in_schema": False}


@get("/admin/dead-letters", **OPTS)
async def dead_letters(request: Request) -> Response:
    account = require_role(request, "admin")
    config = request.app.state.runtime.config

    async def one(service: str):
        try:
            data = await backend.call(config, account, service, "GET", "/deadletters", params={"limit": 100})
        except backend.ServiceProblem:
            return service, None
        return service, data

    groups = [
        {
            "service": service,
            "letters": data["items"] if data else None,
            "total": data["total"] if data else 0,
        }
        for service, data in await asyncio.gather(*(one(s) for s in SERVICES))
    ]
    return page("admin_deadletters.html", request, groups=groups, done=flash(request))


def _service(name: str) -> str:
    if name not in SERVICES:
        raise BadInput("no such service", code="http.404")
    return name


@post("/admin/dead-letters/{service:str}/{seq:int}/replay", **OPTS)
async def replay(request: Request, service: str, seq: int) -> Response:
    account = require_role(request, "admin")
    await read_form(request)
    service = _service(service)
    await backend.call(
        request.app.state.runtime.config, account, service, "POST", f"/deadletters/{seq}/replay"
    )
    await audit.record(
        request.app.state.runtime.pool,
        actor=account.email,
        action="deadletter.replayed",
        target=f"{service}:{seq}",
    )
    return see_other("/admin/dead-letters?done=replayed")


@post("/admin/dead-letters/{service:str}/{seq:int}/discard", **OPTS)
async def discard(request: Request, service: str, seq: int) -> Response:
    account = require_role(request, "admin")
    form = await read_form(request)
    service = _service(service)
    reason = form.get("reason", "").strip()
    if not reason:
        raise BadInput("a discard needs a reason", code="deadletter.reason")
    await backend.call(
        request.app.state.runtime.config,
        account,
        service,
        "POST",
        f"/deadletters/{seq}/discard",
        json={"reason": reason},
    )
    await audit.record(
        request.app.state.runtime.pool,
        actor=account.email,
        action="deadletter.discarded",
        target=f"{service}:{seq}",
        detail=reason,
    )
    return see_other("/admin/dead-letters?done=discarded")


ROUTES = [dead_letters, replay, discard]
