"""For admins: the accounts, and a new account with its one-time password (shown once)."""

from __future__ import annotations

from litestar import Request, Response, get, post

from services.console import audit
from services.console.accounts import service, store
from services.console.accounts.sessions import read_form_lists, require_role
from services.console.messages import problem_text
from services.console.web import page
from shared.auth import ROLES
from shared.errors import DomainError

OPTS = {"include_in_schema": False}


async def _render(request: Request, **context) -> Response:
    async with request.app.state.runtime.pool.acquire() as conn:
        accounts = await store.list_accounts(conn)
    context.setdefault("error", None)
    context.setdefault("created", None)
    return page(
        "people.html", request, accounts=accounts, roles=ROLES, countries=service.COUNTRIES, **context
    )


@get("/people", **OPTS)
async def people(request: Request) -> Response:
    require_role(request, "admin")
    return await _render(request)


@post("/people", **OPTS)
async def add_person(request: Request) -> Response:
    admin = require_role(request, "admin")
    form = await read_form_lists(request)
    one = {k: (v[0] if v else "") for k, v in form.items()}
    try:
        account, password = await service.create_account(
            request.app.state.runtime.pool,
            email=one.get("email", ""),
            name=one.get("name", ""),
            roles=form.get("roles", []),
            countries=form.get("countries", []),
            language=one.get("language", "es") if one.get("language") in ("es", "en") else "es",
        )
    except DomainError as exc:
        return await _render(request, error=problem_text(exc.code, 400), status_code=400)
    await audit.record(
        request.app.state.runtime.pool,
        actor=admin.email,
        action="account.created",
        target=account.email,
        detail=f"roles={','.join(account.roles)} countries={','.join(account.countries)}",
    )
    return await _render(request, created={"email": account.email, "password": password})


ROUTES = [people, add_person]
