"""Which fund takes an application, and why none does; revising an undecided application
(its lines, amounts, track, fund) with a revision row and ApplicationUpdated.

Used by opening (``service``), by a new assessment of the case (``needs``), by a grant
policy being set (``rematch_for_policy``, in the policy's transaction) and by a fund
administrator's pricing (``reprice``). None of these commits money, so none takes a fund
row lock: they lock application rows only (in id order), before any fund lock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from services.funds.applications import store
from services.funds.applications.schemas import ApplicationView, PricingCreate
from services.funds.applications.views import application_or_404, view
from services.funds.committee import store as committee_store
from services.funds.config import FundsConfig
from services.funds.domain import deadlines
from services.funds.domain.opening import Candidate, Match, check_lines, match
from services.funds.domain.policy import suggested_amount
from services.funds.domain.vocabulary import UNDECIDED
from services.funds.events import emit
from services.funds.funds import store as funds_store
from shared.auth import Principal
from shared.errors import Conflict
from shared.events import ApplicationUpdated, Envelope, GrantLine, Money
from shared.logging import get_logger
from shared.runtime import Runtime

log = get_logger(__name__)

# The currency of an application that no fund serving its country could price: a fund
# administrator re-prices it in her fund's currency when she assigns it.
UNPRICED_CURRENCY = "USD"


@dataclass(frozen=True)
class Matched:
    match: Match
    fund: asyncpg.Record | None  # the chosen fund (with its policy's deadlines), if any
    currency: str
    lines: list[tuple[str, int]]


async def match_lines(conn, country: str, purposes: list[str]) -> Matched:
    """The fund that takes an application for ``purposes`` in ``country`` and its lines,
    priced by the chosen fund's policy; when none fits, the reason, priced by the richest
    serving fund with a policy (or 0 in USD without one)."""
    serving = {f["id"]: f for f in await funds_store.funds_serving(conn, country)}
    priced = {
        fund_id: [(p, suggested_amount(f["suggested"], p, country)) for p in purposes]
        for fund_id, f in serving.items()
    }
    result = match(
        [
            Candidate(
                fund_id,
                funds_store.totals(f).available,
                sum(a for _, a in priced[fund_id]),
                f["created_at"],
                f["currency"],
                f["has_policy"],
            )
            for fund_id, f in serving.items()
        ]
    )
    pricing = result.pricing
    return Matched(
        match=result,
        fund=serving[result.chosen.fund_id] if result.chosen else None,
        currency=serving[pricing.fund_id]["currency"] if pricing else UNPRICED_CURRENCY,
        lines=priced[pricing.fund_id] if pricing else [(p, 0) for p in purposes],
    )


def check_has_fund(app: asyncpg.Record) -> None:
    """An application without a fund cannot be voted on nor priced: say why it has none."""
    if app["fund_id"] is not None:
        return
    reason = app["match_reason"]
    if reason == "no_fund_serves_country":
        raise Conflict(
            "no fund serves this application's country, so it has no fund and no price yet; "
            "a fund administrator must create one that does and set its grant policy",
            code="application.no_fund_serves_country",
        )
    if reason == "not_enough_available":
        raise Conflict(
            "no fund serving this country had enough money available for this application; "
            "a fund administrator must deposit into one and assign it: POST /applications/{id}/fund",
            code="fund.not_enough_available",
            extra={
                "available": app["match_available"],
                "needed": app["match_needed"],
                "currency": app["match_currency"],
            },
        )
    raise Conflict(
        "no fund serving this country has a grant policy yet, so the application has no fund and "
        "no price; a fund administrator must set one: PUT /funds/{id}/policy",
        code="fund.needs_policy",
    )


def check_priced(app: asyncpg.Record) -> None:
    if app["requested"] <= 0:
        raise Conflict(
            "the application asks for 0: its fund's policy suggests no amount for its purposes. "
            "A fund administrator must price it first: POST /applications/{id}/pricing",
            code="application.unpriced",
        )


def _snapshot(app: asyncpg.Record | dict, lines: list[tuple[str, int]]) -> dict[str, Any]:
    return {
        "fund_id": None if app["fund_id"] is None else str(app["fund_id"]),
        "currency": app["currency"],
        "track": app["track"],
        "requested": sum(a for _, a in lines),
        "lines": [{"purpose": p, "amount": a} for p, a in lines],
    }


async def revise(
    conn,
    config: FundsConfig,
    app: asyncpg.Record,
    *,
    cause: str,
    by: str,
    lines: list[tuple[str, int]],
    fund: asyncpg.Record | None,
    currency: str,
    track: str | None = None,
    match: Match | None = None,
    reason_code: str | None = None,
    event: Envelope[Any] | None = None,
    assessment_id: uuid.UUID | None = None,
) -> bool:
    """Revise a locked undecided application. When its fund, currency, track or lines
    change: a revision row (previous and new, who or which event, why) and
    ApplicationUpdated caused by ``event``. The matching's answer is stored either way.
    A stricter track brings the deadline forward, never back."""
    app_id = app["id"]
    before = [(r["purpose"], r["amount"]) for r in (await store.lines_of(conn, [app_id]))[app_id]]
    track = track or app["track"]
    fund_id = fund["id"] if fund is not None else None
    previous = _snapshot(app, before)
    current = _snapshot({"fund_id": fund_id, "currency": currency, "track": track}, lines)
    changed = previous != current
    due_at = app["due_at"]
    if track != app["track"]:
        policy = await funds_store.policy_of(conn, fund_id) if fund_id is not None else None
        due_at = min(due_at, deadlines.decision_due(datetime.now(UTC), track, policy, config))
    revision = app["revision"] + 1 if changed else None
    await store.revise(
        conn,
        app_id,
        fund_id=fund_id,
        currency=currency,
        track=track,
        due_at=due_at,
        lines=lines,
        match=match,
        revision=revision,
    )
    if revision is None:
        return False
    await store.insert_revision(
        conn,
        {
            "application_id": app_id,
            "revision": revision,
            "cause": cause,
            "revised_by": by,
            "assessment_id": assessment_id,
            "event_id": event.id if event is not None else None,
            "reason_code": reason_code,
            "previous": previous,
            "current": current,
        },
    )
    updated = ApplicationUpdated(
        application_id=app_id,
        revision=revision,
        cause=cause,  # type: ignore[arg-type]
        fund_id=fund_id,
        track=track,  # type: ignore[arg-type]
        lines=[GrantLine(purpose=p, amount=Money(a, currency)) for p, a in lines],
        requested=Money(current["requested"], currency),
        assessment_id=assessment_id,
    )
    await emit(conn, updated, app["case_id"], event)
    log.info("application.revised", application_id=str(app_id), cause=cause, revision=revision)
    return True


async def rematch_for_policy(conn, config: FundsConfig, fund: asyncpg.Record, by: str) -> int:
    """A grant policy was set or changed: the undecided applications of the fund's countries
    that had no fund are matched again (and priced), and those of this fund that asked for 0
    are priced by its new policy. Runs in the policy's transaction, before the fund's lock."""
    revised = 0
    for app in await store.waiting_for_a_fund(conn, fund["countries"]):
        purposes = [r["purpose"] for r in (await store.lines_of(conn, [app["id"]]))[app["id"]]]
        if app["fund_id"] is None:
            m = await match_lines(conn, app["country"], purposes)
            revised += await revise(
                conn,
                config,
                app,
                cause="policy",
                by=by,
                lines=m.lines,
                fund=m.fund,
                currency=m.currency,
                match=m.match,
            )
        elif app["fund_id"] == fund["id"]:
            policy = await funds_store.policy_of(conn, fund["id"])
            assert policy is not None
            lines = [(p, suggested_amount(policy["suggested"], p, app["country"])) for p in purposes]
            revised += await revise(
                conn, config, app, cause="policy", by=by, lines=lines, fund=fund, currency=app["currency"]
            )
    return revised


async def reprice(
    rt: Runtime, principal: Principal, app_id: uuid.UUID, body: PricingCreate
) -> ApplicationView:
    """A fund administrator sets an undecided application's lines and amounts (recorded with
    her and her reason). Refused while it has no fund with a policy, once decided, and
    below an amount a member already approved."""
    lines = [(line.purpose, line.amount) for line in body.lines]
    check_lines(lines)
    requested = sum(a for _, a in lines)
    async with rt.pool.acquire() as conn, conn.transaction():
        app = await application_or_404(conn, principal, app_id, lock=True)
        if app["status"] not in UNDECIDED:
            raise Conflict(
                f"the application is {app['status']}; it can only be priced before a decision",
                code="application.decided",
            )
        check_has_fund(app)
        fund = await funds_store.get_fund(conn, app["fund_id"])
        if await funds_store.policy_of(conn, fund["id"]) is None:
            raise Conflict(
                "the application's fund has no grant policy yet; a fund administrator must set it: "
                "PUT /funds/{id}/policy",
                code="fund.needs_policy",
            )
        approvals = await committee_store.approval_amounts(conn, app_id)
        if approvals and max(approvals) > requested:
            raise Conflict(
                "a member already approved more than this pricing asks for; price it at least at "
                "what was approved",
                code="pricing.below_approvals",
                extra={"approved": max(approvals), "currency": app["currency"]},
            )
        await revise(
            conn,
            rt.config,
            app,
            cause="pricing",
            by=principal.sub,
            lines=lines,
            fund=fund,
            currency=app["currency"],
            reason_code=body.reason_code,
        )
        return await view(conn, app_id)
