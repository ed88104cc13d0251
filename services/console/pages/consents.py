"""Her consent per purpose, recorded by the analyst with her (risk's consent routes):
sharing with shelters (an automatic hold), with funds (an automatic grant application),
counting in the registry's statistics, and contact by the network. Each from today,
optionally until a day, and revocable; revoking asks first, on a page of its own, because
it releases holds and withdraws grant applications that have not happened yet."""

from __future__ import annotations

import uuid
from datetime import date

from litestar import Request, Response, get, post

from services.console import backend
from services.console.accounts.sessions import read_form, read_form_lists, require_role
from services.console.backend import ServiceProblem
from services.console.web import page, see_other

OPTS = {"include_in_schema": False}
ANALYST = "risk_analyst"
PURPOSES = ("shelters", "funds", "statistics", "contact")


def _config(request: Request):
    return request.app.state.runtime.config


def _until(raw: str | None) -> str | None:
    """A day typed in the form (the browser's date field), or none."""
    try:
        return date.fromisoformat(raw).isoformat() if raw else None
    except ValueError:
        return None


async def give(config, account, case_id: uuid.UUID | str, purposes: list[str], until: str | None) -> None:
    """Record each chosen purpose; one she already agreed to is left as it is."""
    for purpose in [p for p in PURPOSES if p in purposes]:
        body = {"purpose": purpose, **({"until": until} if until else {})}
        try:
            await backend.call(config, account, "risk", "POST", f"/cases/{case_id}/consents", json=body)
        except ServiceProblem as problem:
            if problem.code != "consent.already_given":
                raise


async def of_case(config, account, case_id: uuid.UUID) -> dict:
    return await backend.call(config, account, "risk", "GET", f"/cases/{case_id}/consents")


def current_by_purpose(consents: dict) -> dict[str, dict]:
    """The consent standing now for each purpose (the newest first in the list)."""
    found: dict[str, dict] = {}
    for item in consents["items"]:
        if item["current"] and item["purpose"] not in found:
            found[item["purpose"]] = item
    return found


@post("/cases/{case_id:uuid}/consents", **OPTS)
async def record(request: Request, case_id: uuid.UUID) -> Response:
    account = require_role(request, ANALYST)
    form = await read_form_lists(request)
    until = _until((form.get("until") or [""])[0])
    await give(_config(request), account, case_id, form.get("purpose", []), until)
    return see_other(f"/cases/{case_id}?done=consent#consent")


@get("/cases/{case_id:uuid}/consents/{purpose:str}/revoke", **OPTS)
async def ask_revoke(request: Request, case_id: uuid.UUID, purpose: str) -> Response:
    """What revoking stops, before it is done."""
    require_role(request, ANALYST)
    if purpose not in PURPOSES:
        return see_other(f"/cases/{case_id}#consent")
    return page("consent_revoke.html", request, case={"id": str(case_id)}, purpose=purpose)


@post("/cases/{case_id:uuid}/consents/{purpose:str}/revocation", **OPTS)
async def revoke(request: Request, case_id: uuid.UUID, purpose: str) -> Response:
    account = require_role(request, ANALYST)
    form = await read_form(request)
    if purpose not in PURPOSES or form.get("sure") != "yes":
        return see_other(f"/cases/{case_id}/consents/{purpose}/revoke")
    await backend.call(
        _config(request), account, "risk", "POST", f"/cases/{case_id}/consents/{purpose}/revocation"
    )
    return see_other(f"/cases/{case_id}?done=consent_revoked#consent")


ROUTES = [record, ask_revoke, revoke]
