"""The fund office (``fund_admin``): funds with balance, committed and available per
currency; a fund's ledger, deposits, grant policy and committee; approved grants paid in
tranches; closing, which releases what was not paid.

Every form that moves money carries its own idempotency key, made when the form is drawn
(a hidden field) and sent as the ``Idempotency-Key`` header: a double click or a resent
form sends the same key, and the service pays or deposits once.
"""

from __future__ import annotations

import uuid
from collections import defaultdict

from litestar import Request, Response, get, post

from services.console import backend
from services.console.accounts.api import flash
from services.console.accounts.sessions import read_form, read_form_lists, require_role
from services.console.pages.money import (
    CURRENCIES,
    METHODS,
    PURPOSES,
    REVERSAL_REASONS,
    new_key,
    seconds_until,
    to_minor,
)
from services.console.web import page, see_other
from shared.errors import BadInput, NotFound

OPTS = {"include_in_schema": False}
ROLE = "fund_admin"
LEDGER_PAGE = 50
BLANK_SUGGESTED = 3


def _config(request: Request):
    return request.app.state.runtime.config


def _key(form: dict[str, str]) -> str:
    key = form.get("key", "")
    try:
        uuid.UUID(key)
    except ValueError:
        raise BadInput("the form has no payment key", code="console.csrf") from None
    return key


def _int(raw: str | None, default: int | None = None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() else default


def _hours(raw: str | None) -> float | None:
    try:
        value = float((raw or "").strip().replace(",", "."))
    except ValueError:
        return None
    return value if value > 0 else None


@get("/fund-office", **OPTS)
async def office(request: Request) -> Response:
    """Funds and their money per currency, approved grants to pay, the form for a new fund."""
    account = require_role(request, ROLE)
    config = _config(request)
    funds = (await backend.call(config, account, "funds", "GET", "/funds", params={"limit": 200}))["items"]
    totals: dict[str, dict[str, int]] = defaultdict(lambda: {"balance": 0, "committed": 0, "available": 0})
    for f in funds:
        for field in ("balance", "committed", "available"):
            totals[f["currency"]][field] += f[field]
    approved = await backend.call(
        config, account, "funds", "GET", "/applications", params={"status": "approved", "limit": 200}
    )
    to_pay = [a for a in approved["items"] if a["paid"] < (a["approved"] or 0)]
    return page(
        "fund_office.html", request, funds=funds, totals=dict(sorted(totals.items())), to_pay=to_pay,
        currencies=CURRENCIES, countries=account.countries, key=new_key(), done=flash(request),
    )  # fmt: skip


@post("/fund-office/funds", **OPTS)
async def create_fund(request: Request) -> Response:
    account = require_role(request, ROLE)
    form = await read_form_lists(request)
    body = {
        "name": (form.get("name") or [""])[0].strip(),
        "currency": (form.get("currency") or ["USD"])[0],
        "countries": [
            c for c in form.get("countries", []) if c in account.countries or account.has_role("admin")
        ],
    }
    key = _key({"key": (form.get("key") or [""])[0]})
    created = await backend.call(
        _config(request), account, "funds", "POST", "/funds", json=body, idempotency_key=key
    )
    return see_other(f"/fund-office/funds/{created['id']}?done=fund_created")


@get("/fund-office/funds/{fund_id:uuid}", **OPTS)
async def fund(request: Request, fund_id: uuid.UUID) -> Response:
    """One fund: its money, the deposit form, its ledger, its policy and its committee."""
    account = require_role(request, ROLE)
    config = _config(request)
    item = await backend.call(config, account, "funds", "GET", f"/funds/{fund_id}")
    offset = _int(request.query_params.get("offset"), 0) or 0
    ledger = await backend.call(
        config,
        account,
        "funds",
        "GET",
        f"/funds/{fund_id}/ledger",
        params={"limit": LEDGER_PAGE, "offset": offset},
    )
    policy = item.get("policy") or {}
    suggested = (
        list(policy.get("suggested") or [])
        + [{"purpose": "", "country": None, "amount": None}] * BLANK_SUGGESTED
    )
    return page(
        "fund_detail.html", request, fund=item, ledger=ledger, policy=policy, suggested=suggested,
        purposes=PURPOSES, key=new_key(), page_size=LEDGER_PAGE, done=flash(request),
    )  # fmt: skip


@post("/fund-office/funds/{fund_id:uuid}/deposits", **OPTS)
async def deposit(request: Request, fund_id: uuid.UUID) -> Response:
    account = require_role(request, ROLE)
    form = await read_form(request)
    config = _config(request)
    item = await backend.call(config, account, "funds", "GET", f"/funds/{fund_id}")
    amount = to_minor(form.get("amount"), item["currency"])
    if amount is None:
        raise BadInput("no amount", code="money.amount")
    body = {"amount": amount, "currency": item["currency"]}
    path = f"/funds/{fund_id}/deposits"
    await backend.call(config, account, "funds", "POST", path, json=body, idempotency_key=_key(form))
    return see_other(f"/fund-office/funds/{fund_id}?done=deposited")


@get("/fund-office/funds/{fund_id:uuid}/deposits/{deposit_id:int}/reversal", **OPTS)
async def ask_reversal(request: Request, fund_id: uuid.UUID, deposit_id: int) -> Response:
    """Before a deposit is taken back: what it was and what follows, on a page of its own."""
    account = require_role(request, ROLE)
    config = _config(request)
    item = await backend.call(config, account, "funds", "GET", f"/funds/{fund_id}")
    entry, offset = None, 0
    while entry is None:
        ledger = await backend.call(
            config,
            account,
            "funds",
            "GET",
            f"/funds/{fund_id}/ledger",
            params={"limit": 200, "offset": offset},
        )
        entry = next((e for e in ledger["items"] if e["id"] == deposit_id and e["kind"] == "deposit"), None)
        offset += 200
        if offset >= ledger["total"]:
            break
    if entry is None:
        raise NotFound("no such deposit", code="http.404")
    return page(
        "fund_reversal.html", request, fund=item, entry=entry, reasons=REVERSAL_REASONS, key=new_key()
    )


@post("/fund-office/funds/{fund_id:uuid}/deposits/{deposit_id:int}/reversal", **OPTS)
async def reverse(request: Request, fund_id: uuid.UUID, deposit_id: int) -> Response:
    account = require_role(request, ROLE)
    form = await read_form(request)
    key = _key(form)
    reason = form.get("reason_code", "")
    if form.get("sure") != "yes" or reason not in REVERSAL_REASONS:
        return see_other(f"/fund-office/funds/{fund_id}/deposits/{deposit_id}/reversal")
    body = {"reason_code": reason, **({"note": form["note"].strip()} if form.get("note", "").strip() else {})}
    path = f"/funds/{fund_id}/deposits/{deposit_id}/reversal"
    await backend.call(_config(request), account, "funds", "POST", path, json=body, idempotency_key=key)
    return see_other(f"/fund-office/funds/{fund_id}?done=reversed#ledger")


@post("/fund-office/funds/{fund_id:uuid}/policy", **OPTS)
async def policy(request: Request, fund_id: uuid.UUID) -> Response:
    """The grant policy: ceiling, emergency limit, quorum, deadlines, suggested amounts
    per purpose and (optionally) country. A row without an amount is left out."""
    account = require_role(request, ROLE)
    form = await read_form_lists(request)
    config = _config(request)
    item = await backend.call(config, account, "funds", "GET", f"/funds/{fund_id}")
    currency = item["currency"]

    def one(name: str) -> str:
        return (form.get(name) or [""])[0]

    suggested = []
    for purpose, country, raw in zip(
        form.get("purpose", []), form.get("country", []), form.get("suggested_amount", []), strict=False
    ):
        amount = to_minor(raw, currency)
        if purpose in PURPOSES and amount is not None:
            suggested.append(
                {"purpose": purpose, "amount": amount, **({"country": country} if country else {})}
            )
    body = {
        "ceiling": to_minor(one("ceiling"), currency),
        "emergency_limit": to_minor(one("emergency_limit"), currency),
        "quorum": _int(one("quorum"), 2),
        "suggested": suggested,
        "decision_hours": _hours(one("decision_hours")),
        "emergency_decision_hours": _hours(one("emergency_decision_hours")),
        "ratification_hours": _hours(one("ratification_hours")),
    }
    await backend.call(config, account, "funds", "PUT", f"/funds/{fund_id}/policy", json=body)
    return see_other(f"/fund-office/funds/{fund_id}?done=policy#policy")


@post("/fund-office/funds/{fund_id:uuid}/members", **OPTS)
async def add_member(request: Request, fund_id: uuid.UUID) -> Response:
    """Seat a committee member: the email she signs in with (her tokens' subject)."""
    account = require_role(request, ROLE)
    form = await read_form(request)
    body = {"sub": form.get("email", "").strip().lower()}
    await backend.call(_config(request), account, "funds", "POST", f"/funds/{fund_id}/members", json=body)
    return see_other(f"/fund-office/funds/{fund_id}?done=member#committee")


@get("/fund-office/applications/{app_id:uuid}", **OPTS)
async def grant(request: Request, app_id: uuid.UUID) -> Response:
    """An application from the office's side: what was approved, paid and remains; pay a
    tranche; close it (what was not paid goes back to the fund)."""
    account = require_role(request, ROLE)
    config = _config(request)
    app = await backend.call(config, account, "funds", "GET", f"/applications/{app_id}")
    tranches = await backend.call(
        config, account, "funds", "GET", f"/applications/{app_id}/disbursements", params={"limit": 200}
    )
    app["seconds_left"] = seconds_until(app["due_at"])
    app["ratification_left"] = seconds_until(app.get("ratification_due_at"))
    remaining = max((app["approved"] or 0) - app["paid"] - app["released"], 0)
    return page(
        "fund_application.html", request, app=app, remaining=remaining, methods=METHODS, key=new_key(),
        tranches=tranches["items"],
        asking=request.query_params.get("ask") == "close", done=flash(request),
    )  # fmt: skip


@post("/fund-office/applications/{app_id:uuid}/disbursements", **OPTS)
async def pay(request: Request, app_id: uuid.UUID) -> Response:
    account = require_role(request, ROLE)
    form = await read_form(request)
    config = _config(request)
    key = _key(form)
    app = await backend.call(config, account, "funds", "GET", f"/applications/{app_id}")
    amount = to_minor(form.get("amount"), app["currency"])
    if amount is None:
        raise BadInput("no amount", code="money.amount")
    body = {
        "amount": amount,
        "currency": app["currency"],
        "method": form.get("method") if form.get("method") in METHODS else "bank_transfer",
        "payee_reference": form.get("payee_reference", "").strip().upper(),
    }
    path = f"/applications/{app_id}/disbursements"
    await backend.call(config, account, "funds", "POST", path, json=body, idempotency_key=key)
    return see_other(f"/fund-office/applications/{app_id}?done=paid")


@post("/fund-office/applications/{app_id:uuid}/close", **OPTS)
async def close(request: Request, app_id: uuid.UUID) -> Response:
    """Closing asks first (a page of its own) and then releases what was not paid."""
    account = require_role(request, ROLE)
    form = await read_form(request)
    if form.get("sure") != "yes":
        return see_other(f"/fund-office/applications/{app_id}?ask=close#close")
    await backend.call(
        _config(request),
        account,
        "funds",
        "POST",
        f"/applications/{app_id}/close",
        json={"reason_code": "completed"},
    )
    return see_other(f"/fund-office/applications/{app_id}?done=grant_closed")


ROUTES = [office, create_fund, fund, deposit, ask_reversal, reverse, policy, add_member, grant, pay, close]
