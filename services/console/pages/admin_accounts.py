"""For admins: one account, its roles and countries, disabling it, resetting its second
factor. Every change is written to the console's audit log (``services.console.audit``)."""

from __future__ import annotations

import uuid

from litestar import Request, Response, get, post

from services.console import audit
from services.console.accounts import service, store
from services.console.accounts.api import flash
from services.console.accounts.sessions import read_form, read_form_lists, require_role
from services.console.web import page, see_other
from shared.auth import ROLES
from shared.errors import NotFound

OPTS = {"include_in_schema": False}


async def _account(request: Request, account_id: uuid.UUID):
    async with request.app.state.runtime.pool.acquire() as conn:
        account = await store.by_id(conn, str(account_id))
    if account is None:
        raise NotFound("no such account", code="account.not_found")
    return account


@get("/people/{account_id:uuid}", **OPTS)
async def account_page(request: Request, account_id: uuid.UUID) -> Response:
    require_role(request, "admin")
    account = await _account(request, account_id)
    return page(
        "admin_account.html", request, account=account, roles=ROLES, countries=service.COUNTRIES,
        done=flash(request),
    )  # fmt: skip


@post("/people/{account_id:uuid}/access", **OPTS)
async def set_access(request: Request, account_id: uuid.UUID) -> Response:
    admin = require_role(request, "admin")
    form = await read_form_lists(request)
    account = await _account(request, account_id)
    pool = request.app.state.runtime.pool
    changed = await service.set_access(pool, account.email, form.get("roles", []), form.get("countries", []))
    await audit.record(
        pool,
        actor=admin.email,
        action="account.access_set",
        target=changed.email,
        detail=f"roles={','.join(form.get('roles', []))} countries={','.join(form.get('countries', []))}",
    )
    return see_other(f"/people/{account_id}?done=access")


@post("/people/{account_id:uuid}/disabled", **OPTS)
async def set_disabled(request: Request, account_id: uuid.UUID) -> Response:
    admin = require_role(request, "admin")
    form = await read_form(request)
    account = await _account(request, account_id)
    disabled = form.get("disabled") == "yes"
    if disabled and account.id == admin.id:
        return see_other(f"/people/{account_id}?done=not_self")
    pool = request.app.state.runtime.pool
    await service.set_disabled(pool, account.email, disabled)
    action = "account.disabled" if disabled else "account.enabled"
    await audit.record(pool, actor=admin.email, action=action, target=account.email)
    return see_other(f"/people/{account_id}?done={'disabled' if disabled else 'enabled'}")


@post("/people/{account_id:uuid}/second-factor", **OPTS)
async def reset_second_factor(request: Request, account_id: uuid.UUID) -> Response:
    admin = require_role(request, "admin")
    await read_form(request)
    account = await _account(request, account_id)
    pool = request.app.state.runtime.pool
    await service.reset_second_factor(pool, account.email)
    await audit.record(pool, actor=admin.email, action="account.second_factor_reset", target=account.email)
    return see_other(f"/people/{account_id}?done=second_factor")


ROUTES = [account_page, set_access, set_disabled, reset_second_factor]
