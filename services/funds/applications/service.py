"""Use cases that open and close applications. Each opens its transaction (or runs in the
consumer's), applies the domain's rules through the stores, and writes its events to the
outbox in the same transaction.

Money and concurrency: every change to an application's money runs with the application
row locked, then the fund row locked (always in that order, so two use cases never
deadlock on each other). The ledger trigger re-checks the fund's totals under the same
lock, so no code path can overspend even by mistake.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.funds.applications import store
from services.funds.applications.schemas import ApplicationCreate, ApplicationView, CloseCreate, FundAssign
from services.funds.applications.views import application_or_404, view
from services.funds.cases.service import open_case_in_scope
from services.funds.committee import store as committee_store
from services.funds.config import FundsConfig
from services.funds.domain import deadlines
from services.funds.domain.money import unpaid_commitment
from services.funds.domain.opening import (
    Candidate,
    check_lines,
    choose_fund,
    pricing_fund,
    purposes_for,
    track_for,
)
from services.funds.domain.policy import suggested_amount
from services.funds.domain.vocabulary import UNDECIDED, Track
from services.funds.events import emit
from services.funds.funds import store as funds_store
from services.funds.funds.service import fund_named
from shared import idempotency
from shared.auth import Principal
from shared.errors import Conflict, Invalid, NotAllowed
from shared.events import (
    ApplicationClosed,
    ApplicationOpened,
    AssessmentRecorded,
    CaseClosed,
    Envelope,
    GrantLine,
    Money,
)
from shared.idempotency import IdempotentRequest
from shared.logging import get_logger
from shared.runtime import Runtime

log = get_logger(__name__)

# The currency of an application that no fund serving its country could price: a fund
# administrator re-prices it in her fund's currency when she assigns it.
UNPRICED_CURRENCY = "USD"
# The reason code of the automatic recusal of the member who opened an application.
OPENED_IT = "opened_application"


async def _open(
    conn,
    config: FundsConfig,
    *,
    case_id: uuid.UUID,
    assessment_id: uuid.UUID | None,
    fund_id: uuid.UUID | None,
    policy: Any | None,
    country: str,
    track: Track,
    currency: str,
    lines: list[tuple[str, int]],
    by: str,
    causation: Envelope[Any] | None = None,
) -> uuid.UUID | None:
    """Insert the application and announce it; None when this assessment already opened one."""
    now = datetime.now(UTC)
    app_id = uuid.uuid4()
    requested = sum(a for _, a in lines)
    row = {
        "id": app_id,
        "case_id": case_id,
        "assessment_id": assessment_id,
        "fund_id": fund_id,
        "country": country,
        "track": track,
        "currency": currency,
        "requested": requested,
        "opened_by": by,
        "opened_at": now,
        "due_at": deadlines.decision_due(now, track, policy, config),
    }
    if not await store.insert_application(conn, row, lines):
        return None
    opened = ApplicationOpened(
        application_id=app_id,
        fund_id=fund_id,
        track=track,
        country=country,
        lines=[GrantLine(purpose=p, amount=Money(a, currency)) for p, a in lines],
        requested=Money(requested, currency),
        due_at=row["due_at"],
    )
    await emit(conn, opened, case_id, causation)
    log.info("application.opened", application_id=str(app_id), track=track, fund_chosen=fund_id is not None)
    return app_id


async def open_from_assessment(
    conn, config: FundsConfig, event: Envelope[AssessmentRecorded]
) -> uuid.UUID | None:
    """Grant measures of a recorded assessment open one application per case and
    assessment, a line per purpose, priced by the chosen fund's policy; its
    ApplicationOpened names the assessment event as its cause."""
    data = event.data
    purposes = purposes_for(data.measures)
    if not purposes or event.case_id is None:
        return None
    serving = {f["id"]: f for f in await funds_store.funds_serving(conn, data.country)}
    priced = {
        fund_id: [(p, suggested_amount(f["suggested"], p, data.country)) for p in purposes]
        for fund_id, f in serving.items()
    }
    candidates = [
        Candidate(
            fund_id, funds_store.totals(f).available, sum(a for _, a in priced[fund_id]), f["created_at"]
        )
        for fund_id, f in serving.items()
    ]
    chosen = choose_fund(candidates)
    # No fund can cover it today: priced by the richest serving fund, the fund left open
    # for the administrators to assign.
    pricing = chosen or pricing_fund(candidates)
    fund = serving[chosen.fund_id] if chosen else None
    return await _open(
        conn,
        config,
        case_id=event.case_id,
        assessment_id=data.assessment_id,
        fund_id=fund["id"] if fund else None,
        policy=fund,
        country=data.country,
        track=track_for(data.level),
        currency=serving[pricing.fund_id]["currency"] if pricing else UNPRICED_CURRENCY,
        lines=priced[pricing.fund_id] if pricing else [(p, 0) for p in purposes],
        by=f"event:{event.id}",
        causation=event,
    )


async def create_application(
    rt: Runtime, principal: Principal, body: ApplicationCreate, retry: IdempotentRequest | None = None
) -> ApplicationView:
    """Open an application by hand, for a known open case of the caller's countries and a
    fund serving its country. Whoever opens it is recused from deciding it."""
    lines = [(line.purpose, line.amount) for line in body.lines]
    check_lines(lines)
    async with rt.pool.acquire() as conn, conn.transaction():
        if (first := await idempotency.replayed(conn, retry, ApplicationView, rt.cipher)) is not None:
            return first
        await open_case_in_scope(conn, principal, body.case_id, body.country)
        fund = await fund_named(conn, principal, body.fund_id)
        _check_serves(fund, body.country)
        if not principal.has_role("fund_admin") and not await funds_store.is_member(
            conn, fund["id"], principal.sub
        ):
            raise NotAllowed(
                "only members of this fund's committee (or fund administrators) may apply to it",
                code="application.not_on_committee",
            )
        app_id = await _open(
            conn,
            rt.config,
            case_id=body.case_id,
            assessment_id=None,
            fund_id=fund["id"],
            policy=await funds_store.policy_of(conn, fund["id"]),
            country=body.country,
            track=body.track,
            currency=fund["currency"],
            lines=lines,
            by=principal.sub,
        )
        assert app_id is not None  # only an assessment can open an application twice
        # No self-approval: she may not vote on what she asked for (nor decide it alone on
        # the emergency track). Tied to her identity, whatever roles her token holds.
        await committee_store.insert_recusal(conn, app_id, principal.sub, OPENED_IT, automatic=True)
        opened = await view(conn, app_id)
        await idempotency.remember(conn, retry, opened, rt.cipher)
        return opened


def _check_serves(fund: asyncpg.Record, country: str) -> None:
    if country not in fund["countries"]:
        raise Invalid(
            "this fund does not serve the application's country; choose a fund that does",
            code="application.country_not_served",
            extra={"field": "fund_id", "countries": list(fund["countries"])},
        )


async def assign_fund(
    rt: Runtime, principal: Principal, app_id: uuid.UUID, body: FundAssign
) -> ApplicationView:
    """Give a fund to an application opened without one, before any vote; its lines are
    re-priced by the fund's policy when they were in another currency or unpriced."""
    async with rt.pool.acquire() as conn, conn.transaction():
        app = await application_or_404(conn, principal, app_id, lock=True)
        if app["status"] not in UNDECIDED:
            raise Conflict(
                f"the application is {app['status']}; a fund can only be assigned before a decision",
                code="application.decided",
            )
        if await committee_store.has_votes(conn, app_id):
            raise Conflict(
                "members have already voted on this application; open a new one for another fund",
                code="application.has_votes",
            )
        fund = await fund_named(conn, principal, body.fund_id)
        _check_serves(fund, app["country"])
        lines = None
        if app["currency"] != fund["currency"] or app["requested"] == 0:
            policy = await funds_store.policy_of(conn, fund["id"])
            suggested = policy["suggested"] if policy else []
            current = (await store.lines_of(conn, [app_id]))[app_id]
            lines = [
                (r["purpose"], suggested_amount(suggested, r["purpose"], app["country"])) for r in current
            ]
        await store.assign_fund(conn, app_id, fund["id"], fund["currency"], lines)
        return await view(conn, app_id)


async def close(rt: Runtime, principal: Principal, app_id: uuid.UUID, body: CloseCreate) -> ApplicationView:
    """Close an application; what was committed and not paid goes back to the fund."""
    async with rt.pool.acquire() as conn, conn.transaction():
        app = await application_or_404(conn, principal, app_id, lock=True)
        if app["status"] == "closed":
            raise Conflict("the application is already closed", code="application.closed")
        await _close(conn, app, principal.sub, body.reason_code)
        return await view(conn, app_id)


async def close_for_closed_case(conn, event: Envelope[CaseClosed]) -> int:
    """The case is closed: its undecided applications are closed (nothing to release), each
    ApplicationClosed naming the CaseClosed event. Approved ones stay open: money may still
    be owed, and a fund administrator closes them, which releases what is unpaid."""
    if event.case_id is None:
        return 0
    rows = await store.undecided_of_case(conn, event.case_id)
    for app in rows:
        await _close(conn, app, f"event:{event.id}", "case_closed", causation=event)
    return len(rows)


async def _close(
    conn, app: asyncpg.Record, by: str, reason: str, causation: Envelope[Any] | None = None
) -> None:
    """Close a locked application, releasing its unpaid commitment under the fund's lock."""
    app_id = app["id"]
    paid, released = await funds_store.money_of_one(conn, app_id)
    release = unpaid_commitment(app["approved"], paid, released)
    if release:
        await funds_store.get_fund(conn, app["fund_id"], lock=True)
        await funds_store.append_ledger(conn, app["fund_id"], "release", release, by, application_id=app_id)
    await store.mark_closed(conn, app_id, datetime.now(UTC), reason)
    closed = ApplicationClosed(
        application_id=app_id,
        paid=Money(paid, app["currency"]),
        released=Money(released + release, app["currency"]),
    )
    await emit(conn, closed, app["case_id"], causation)
    log.info("application.closed", application_id=str(app_id), released=release)
