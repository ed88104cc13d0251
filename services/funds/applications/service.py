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

from services.funds.applications import matching, store
from services.funds.applications.schemas import ApplicationCreate, ApplicationView, CloseCreate, FundAssign
from services.funds.applications.views import application_or_404, view
from services.funds.cases.service import open_case_in_scope
from services.funds.committee import store as committee_store
from services.funds.config import FundsConfig
from services.funds.domain import deadlines, needs
from services.funds.domain.money import unpaid_commitment
from services.funds.domain.opening import Match, check_lines, purposes_for, track_for
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
    ApplicationFollowUpOpened,
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
    match: Match | None = None,
    follows_id: uuid.UUID | None = None,
) -> uuid.UUID | None:
    """Insert the application and announce it (a follow-up as such); None when this
    assessment already opened one."""
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
        "match": match,
        "follows_id": follows_id,
    }
    if not await store.insert_application(conn, row, lines):
        return None
    grant_lines = [GrantLine(purpose=p, amount=Money(a, currency)) for p, a in lines]
    opened: ApplicationOpened | ApplicationFollowUpOpened
    if follows_id is not None and assessment_id is not None:
        opened = ApplicationFollowUpOpened(
            application_id=app_id,
            follows_id=follows_id,
            assessment_id=assessment_id,
            fund_id=fund_id,
            track=track,
            country=country,
            lines=grant_lines,
            requested=Money(requested, currency),
            due_at=row["due_at"],
        )
    else:
        opened = ApplicationOpened(
            application_id=app_id,
            fund_id=fund_id,
            track=track,
            country=country,
            lines=grant_lines,
            requested=Money(requested, currency),
            due_at=row["due_at"],
        )
    await emit(conn, opened, case_id, causation)
    log.info("application.opened", application_id=str(app_id), track=track, fund_chosen=fund_id is not None)
    return app_id


async def open_from_assessment(
    conn, config: FundsConfig, event: Envelope[AssessmentRecorded]
) -> uuid.UUID | None:
    """Grant measures of a recorded assessment, one application per need
    (``domain/needs.py``): the case's undecided application is updated; when all are
    decided, a follow-up is opened for the new purposes only; without any, one is opened,
    priced by the chosen fund's policy. Each event names the assessment event as its
    cause; a replayed assessment changes nothing. Returns the application touched."""
    data = event.data
    purposes = purposes_for(data.measures)
    if not purposes or event.case_id is None:
        return None
    if await store.assessment_applied(conn, event.case_id, data.assessment_id):
        return None
    apps = await store.applications_of_case(conn, event.case_id)
    lines = await store.lines_of(conn, [a["id"] for a in apps])
    plan = needs.plan(
        purposes,
        [needs.Previous(a["id"], a["status"], frozenset(r["purpose"] for r in lines[a["id"]])) for a in apps],
    )
    if plan.action == "nothing":
        log.info("application.nothing_new", case_id=str(event.case_id))
        return None
    if plan.action == "update":
        app = next(a for a in apps if a["id"] == plan.application_id)
        await _update_from_assessment(conn, config, event, app, list(plan.purposes), lines[app["id"]])
        return app["id"]
    m = await matching.match_lines(conn, data.country, list(plan.purposes))
    return await _open(
        conn,
        config,
        case_id=event.case_id,
        assessment_id=data.assessment_id,
        fund_id=m.fund["id"] if m.fund else None,
        policy=m.fund,
        country=data.country,
        track=track_for(data.level),
        currency=m.currency,
        lines=m.lines,
        by=f"event:{event.id}",
        causation=event,
        match=m.match,
        follows_id=plan.application_id,
    )


async def _update_from_assessment(
    conn,
    config: FundsConfig,
    event: Envelope[AssessmentRecorded],
    app: asyncpg.Record,
    purposes: list[str],
    current: list[asyncpg.Record],
) -> None:
    """The undecided application takes the new assessment's purposes and track; a kept
    purpose keeps its amount, a new one is priced by its fund's policy (without a fund, the
    application is matched again)."""
    data = event.data
    fund, currency, match = None, app["currency"], None
    if app["fund_id"] is None:
        m = await matching.match_lines(conn, app["country"], purposes)
        fund, currency, match, priced = m.fund, m.currency, m.match, dict(m.lines)
    else:
        fund = await funds_store.get_fund(conn, app["fund_id"])
        policy = await funds_store.policy_of(conn, app["fund_id"])
        suggested = policy["suggested"] if policy else []
        priced = {p: suggested_amount(suggested, p, app["country"]) for p in purposes}
    # Amounts set in another currency (an application priced before a fund took it) are not kept.
    amounts = {r["purpose"]: r["amount"] for r in current} if currency == app["currency"] else {}
    await matching.revise(
        conn,
        config,
        app,
        cause="assessment",
        by=f"event:{event.id}",
        lines=needs.revised_lines(purposes, amounts, priced.__getitem__),
        fund=fund,
        currency=currency,
        track=track_for(data.level),
        match=match,
        event=event,
        assessment_id=data.assessment_id,
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
        policy = await _policy_or_409(conn, fund)
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
            policy=policy,
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


async def _policy_or_409(conn, fund: asyncpg.Record) -> asyncpg.Record:
    """A fund receives applications only with a grant policy (it prices them and decides them)."""
    policy = await funds_store.policy_of(conn, fund["id"])
    if policy is None:
        raise Conflict(
            "this fund has no grant policy yet, so it cannot receive applications; a fund "
            "administrator must set it first: PUT /funds/{id}/policy",
            code="fund.needs_policy",
            extra={"field": "fund_id"},
        )
    return policy


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
        policy = await _policy_or_409(conn, fund)
        lines = None
        if app["currency"] != fund["currency"] or app["requested"] == 0:
            suggested = policy["suggested"]
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
