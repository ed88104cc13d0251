"""Use cases of the funds service. Each opens its transaction, applies the rules of
domain.py through store.py, and writes its events to the outbox in the same transaction.

Money and concurrency: every change to an application's money runs with the
application row locked, then the fund row locked (always in that order, so two
use cases never deadlock on each other). The ledger trigger re-checks the fund's
totals under the same lock, so no code path can overspend even by mistake.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import asyncpg
import msgspec

from services.funds import domain, store
from services.funds.schemas import (
    ApplicationCreate,
    ApplicationView,
    CloseCreate,
    DepositCreate,
    DepositView,
    DisbursementCreate,
    DisbursementView,
    Distribution,
    FundAssign,
    FundCreate,
    FundView,
    GrantRow,
    GrantsReport,
    LedgerEntryView,
    LineView,
    MemberAdd,
    MemberView,
    Policy,
    PolicyPut,
    RecusalCreate,
    RecusalView,
    SuggestedAmount,
    Tally,
    VoteCreate,
    VoteView,
)
from shared.auth import Principal
from shared.errors import BadInput as BadRequest
from shared.errors import Conflict, NotFound, Unavailable
from shared.errors import Invalid as Unprocessable
from shared.errors import NotAllowed as Forbidden
from shared.events import (
    ApplicationApproved,
    ApplicationClosed,
    ApplicationInfoRequested,
    ApplicationOpened,
    ApplicationOverdue,
    ApplicationRejected,
    AssessmentRecorded,
    DisbursementMade,
    Envelope,
    GrantLine,
    Money,
    new_event,
)
from shared.logging import get_logger
from shared.outbox import enqueue

log = get_logger(__name__)
PRODUCER = "funds"


def _now() -> datetime:
    return datetime.now(UTC)


def _event(payload, case_id: uuid.UUID | None, causation: Envelope | None = None) -> Envelope:
    return new_event(payload, producer=PRODUCER, case_id=case_id, causation=causation)


def _totals(fund: asyncpg.Record) -> domain.Totals:
    return domain.Totals(
        fund["deposited"], fund["committed_total"], fund["released_total"], fund["disbursed_total"]
    )


# --- funds -----------------------------------------------------------------------------


def _check_fund_visible(principal: Principal, fund: asyncpg.Record) -> None:
    if not principal.is_admin and not set(fund["countries"]) & set(principal.countries):
        raise Forbidden("your token covers none of the countries this fund serves")


async def _fund_or_404(conn, principal: Principal, fund_id: uuid.UUID, *, lock: bool = False):
    fund = await store.get_fund(conn, fund_id, lock=lock)
    if fund is None:
        raise NotFound(f"there is no fund {fund_id}")
    _check_fund_visible(principal, fund)
    return fund


async def _fund_views(conn, funds: list[asyncpg.Record]) -> list[FundView]:
    ids = [f["id"] for f in funds]
    members = await store.members_of(conn, ids)
    policies = await store.policies_of(conn, ids)
    views = []
    for f in funds:
        t = _totals(f)
        p = policies.get(f["id"])
        views.append(
            FundView(
                id=f["id"],
                name=f["name"],
                currency=f["currency"],
                countries=list(f["countries"]),
                balance=t.balance,
                committed=t.committed,
                available=t.available,
                deposited=t.deposited,
                disbursed=t.disbursed_total,
                policy=None if p is None else _policy_view(p),
                members=members[f["id"]],
                created_at=f["created_at"],
            )
        )
    return views


def _policy_view(p: asyncpg.Record) -> Policy:
    return Policy(
        ceiling=p["ceiling"],
        emergency_limit=p["emergency_limit"],
        quorum=p["quorum"],
        suggested=msgspec.convert(p["suggested"], list[SuggestedAmount]),
        decision_hours=p["decision_hours"],
        emergency_decision_hours=p["emergency_decision_hours"],
        ratification_hours=p["ratification_hours"],
        updated_at=p["updated_at"],
    )


async def create_fund(rt, principal: Principal, body: FundCreate) -> FundView:
    countries = sorted(set(body.countries))
    for c in countries:
        principal.check_country(c)
    fund_id = uuid.uuid4()
    async with rt.pool.acquire() as conn, conn.transaction():
        await store.insert_fund(conn, fund_id, body.name, body.currency, countries)
        fund = await store.get_fund(conn, fund_id)
        (view,) = await _fund_views(conn, [fund])
    log.info("fund.created", fund_id=str(fund_id))
    return view


async def list_funds(rt, principal: Principal, country: str | None, limit: int, offset: int):
    countries = principal.visible_countries(country)
    async with rt.pool.acquire() as conn:
        rows, total = await store.list_funds(conn, countries, limit, offset)
        return await _fund_views(conn, rows), total


async def get_fund(rt, principal: Principal, fund_id: uuid.UUID) -> FundView:
    async with rt.pool.acquire() as conn:
        fund = await _fund_or_404(conn, principal, fund_id)
        (view,) = await _fund_views(conn, [fund])
        return view


async def fund_ledger(rt, principal: Principal, fund_id: uuid.UUID, limit: int, offset: int):
    async with rt.pool.acquire() as conn:
        fund = await _fund_or_404(conn, principal, fund_id)
        rows, total = await store.ledger_page(conn, fund_id, limit, offset)
    items = [
        LedgerEntryView(
            id=r["id"],
            fund_id=r["fund_id"],
            kind=r["kind"],
            amount=r["amount"],
            currency=fund["currency"],
            application_id=r["application_id"],
            disbursement_id=r["disbursement_id"],
            recorded_at=r["recorded_at"],
        )
        for r in rows
    ]
    return items, total


async def deposit(rt, principal: Principal, fund_id: uuid.UUID, body: DepositCreate) -> DepositView:
    async with rt.pool.acquire() as conn, conn.transaction():
        fund = await _fund_or_404(conn, principal, fund_id, lock=True)
        if body.currency != fund["currency"]:
            raise Unprocessable(
                f"this fund keeps its money in {fund['currency']}; the deposit is in {body.currency}. "
                f"Convert it first and deposit the amount in {fund['currency']} minor units"
            )
        entry = await store.append_ledger(conn, fund_id, "deposit", body.amount, principal.sub)
        t = _totals(await store.get_fund(conn, fund_id))
    log.info("fund.deposit", fund_id=str(fund_id), amount=body.amount)
    return DepositView(
        id=entry["id"],
        fund_id=fund_id,
        amount=body.amount,
        currency=fund["currency"],
        balance=t.balance,
        committed=t.committed,
        available=t.available,
        recorded_at=entry["recorded_at"],
    )


async def put_policy(rt, principal: Principal, fund_id: uuid.UUID, body: PolicyPut) -> FundView:
    if body.emergency_limit > body.ceiling:
        raise Unprocessable(
            f"the emergency limit ({body.emergency_limit}) cannot be above the ceiling per grant "
            f"({body.ceiling})"
        )
    seen: set[tuple[str, str | None]] = set()
    for s in body.suggested:
        if (s.purpose, s.country) in seen:
            raise Unprocessable(f"two suggested amounts for {s.purpose} in {s.country or 'every country'}")
        seen.add((s.purpose, s.country))
        if s.amount > body.ceiling:
            raise Unprocessable(f"the suggested amount for {s.purpose} is above the ceiling per grant")
    async with rt.pool.acquire() as conn, conn.transaction():
        fund = await _fund_or_404(conn, principal, fund_id, lock=True)
        for s in body.suggested:
            if s.country is not None and s.country not in fund["countries"]:
                raise Unprocessable(f"this fund does not serve {s.country}; it serves {fund['countries']}")
        policy = msgspec.to_builtins(body)
        await store.put_policy(conn, fund_id, policy, principal.sub)
        (view,) = await _fund_views(conn, [fund])
    return view


async def add_member(rt, principal: Principal, fund_id: uuid.UUID, body: MemberAdd) -> MemberView:
    async with rt.pool.acquire() as conn, conn.transaction():
        await _fund_or_404(conn, principal, fund_id, lock=True)
        await store.add_member(conn, fund_id, body.sub, principal.sub)
        members = (await store.members_of(conn, [fund_id]))[fund_id]
    return MemberView(id=body.sub, fund_id=fund_id, sub=body.sub, members=members)


# --- applications: views ---------------------------------------------------------------


def _flag_reason(app: asyncpg.Record, now: datetime) -> str | None:
    if app["status"] != "approved" or app["ratified"] is not False:
        return None
    if app["flag_reason"]:
        return app["flag_reason"]
    if app["ratification_due_at"] is not None and app["ratification_due_at"] < now:
        return "not_ratified_in_time"
    return None


def _tally(t: asyncpg.Record | None, quorum: int | None) -> domain.Tally:
    if t is None:
        return domain.Tally(0, 0, (), 0, 0, quorum or 1)
    return domain.Tally(
        members=t["members"],
        recused=t["recused"],
        approvals=tuple(t["approvals"]),
        rejections=t["rejections"],
        info_requests=t["info_requests"],
        quorum=quorum or 1,
    )


async def _app_views(conn, apps: list[asyncpg.Record]) -> list[ApplicationView]:
    if not apps:
        return []
    ids = [a["id"] for a in apps]
    lines = await store.lines_of(conn, ids)
    money = await store.money_of(conn, ids)
    tallies = await store.tallies_of(conn, ids)
    policies = await store.policies_of(conn, list({a["fund_id"] for a in apps if a["fund_id"]}))
    now = _now()
    views = []
    for a in apps:
        paid, released = money.get(a["id"], (0, 0))
        policy = policies.get(a["fund_id"])
        tally = _tally(tallies.get(a["id"]), policy["quorum"] if policy else None)
        reason = _flag_reason(a, now)
        views.append(
            ApplicationView(
                id=a["id"],
                case_id=a["case_id"],
                assessment_id=a["assessment_id"],
                fund_id=a["fund_id"],
                country=a["country"],
                track=a["track"],
                status=a["status"],
                currency=a["currency"],
                lines=[
                    LineView(purpose=r["purpose"], amount=r["amount"], approved=r["approved"])
                    for r in lines[a["id"]]
                ],
                requested=a["requested"],
                approved=a["approved"],
                paid=paid,
                released=released,
                ratified=a["ratified"],
                flagged=reason is not None,
                flag_reason=reason,
                overdue=a["status"] in domain.UNDECIDED and a["due_at"] < now,
                opened_at=a["opened_at"],
                due_at=a["due_at"],
                decided_at=a["decided_at"],
                ratification_due_at=a["ratification_due_at"],
                ratified_at=a["ratified_at"],
                first_paid_at=a["first_paid_at"],
                closed_at=a["closed_at"],
                tally=Tally(
                    members=tally.members,
                    recused=tally.recused,
                    eligible=tally.eligible,
                    required=tally.required,
                    approvals=len(tally.approvals),
                    rejections=tally.rejections,
                    info_requests=tally.info_requests,
                ),
            )
        )
    return views


async def _app_view(conn, app_id: uuid.UUID) -> ApplicationView:
    (view,) = await _app_views(conn, [await store.get_application(conn, app_id)])
    return view


async def _app_or_404(conn, principal: Principal | None, app_id: uuid.UUID, *, lock: bool = False):
    app = await store.get_application(conn, app_id, lock=lock)
    if app is None:
        raise NotFound(f"there is no application {app_id}")
    if principal is not None:
        principal.check_country(app["country"])
    return app


def _decision_hours(settings, track: str, policy: Any | None) -> float:
    if track == "emergency":
        own = policy["emergency_decision_hours"] if policy is not None else None
        return own or settings.emergency_decision_hours
    own = policy["decision_hours"] if policy is not None else None
    return own or settings.decision_hours


# --- applications: opening -------------------------------------------------------------


async def _open(
    conn,
    settings,
    *,
    case_id: uuid.UUID,
    assessment_id: uuid.UUID | None,
    fund: Any | None,
    policy: Any | None,
    country: str,
    track: str,
    currency: str,
    lines: list[tuple[str, int]],
    by: str,
    causation: Envelope | None = None,
) -> uuid.UUID | None:
    now = _now()
    app_id = uuid.uuid4()
    requested = sum(a for _, a in lines)
    row = {
        "id": app_id,
        "case_id": case_id,
        "assessment_id": assessment_id,
        "fund_id": fund["id"] if fund is not None else None,
        "country": country,
        "track": track,
        "currency": currency,
        "requested": requested,
        "opened_by": by,
        "opened_at": now,
        "due_at": now + timedelta(hours=_decision_hours(settings, track, policy)),
    }
    if not await store.insert_application(conn, row, lines):
        return None
    await enqueue(
        conn,
        _event(
            ApplicationOpened(
                application_id=app_id,
                fund_id=row["fund_id"],
                track=track,  # type: ignore[arg-type]
                country=country,
                lines=[GrantLine(purpose=p, amount=Money(a, currency)) for p, a in lines],
                requested=Money(requested, currency),
            ),
            case_id,
            causation,
        ),
    )
    log.info("application.opened", application_id=str(app_id), track=track, fund_chosen=fund is not None)
    return app_id


async def open_from_assessment(conn, settings, event: Envelope) -> uuid.UUID | None:
    """Consumer side of ``amparo.risk.assessment.recorded``: one application per case and
    assessment with a line per grant purpose, priced by the chosen fund's policy."""
    data: AssessmentRecorded = event.data
    purposes = domain.purposes_for(data.measures)
    if not purposes or event.case_id is None:
        return None
    serving = await store.funds_serving(conn, data.country)
    candidates = []
    priced: dict[uuid.UUID, list[tuple[str, int]]] = {}
    for f in serving:
        lines = [(p, domain.suggested_amount(f["suggested"], p, data.country)) for p in purposes]
        priced[f["id"]] = lines
        candidates.append(
            domain.Candidate(f["id"], _totals(f).available, sum(a for _, a in lines), f["created_at"])
        )
    chosen = domain.choose_fund(candidates)
    fund = next((f for f in serving if chosen and f["id"] == chosen.fund_id), None)
    if fund is not None:
        lines, currency, policy = priced[fund["id"]], fund["currency"], fund
    elif serving:
        # No fund can cover it today: price it with the richest serving fund's policy,
        # leave the fund open for the administrators to assign.
        richest = max(serving, key=lambda f: (_totals(f).available, -f["created_at"].timestamp()))
        lines, currency, policy = priced[richest["id"]], richest["currency"], None
    else:
        lines, currency, policy = [(p, 0) for p in purposes], "USD", None
    return await _open(
        conn,
        settings,
        case_id=event.case_id,
        assessment_id=data.assessment_id,
        fund=fund,
        policy=policy,
        country=data.country,
        track=domain.track_for(data.level),
        currency=currency,
        lines=lines,
        by=f"event:{event.id}",
        causation=event,
    )


async def create_application(rt, principal: Principal, body: ApplicationCreate) -> ApplicationView:
    principal.check_country(body.country)
    purposes = [line.purpose for line in body.lines]
    if len(set(purposes)) != len(purposes):
        raise Unprocessable("each purpose may appear once; add the amounts of repeated purposes together")
    async with rt.pool.acquire() as conn, conn.transaction():
        fund = await _fund_or_404(conn, principal, body.fund_id)
        if body.country not in fund["countries"]:
            raise Unprocessable(f"fund {fund['id']} does not serve {body.country}; choose a fund that does")
        if not principal.has_role("fund_admin") and not await store.is_member(
            conn, fund["id"], principal.sub
        ):
            raise Forbidden("only members of this fund's committee (or fund administrators) may apply to it")
        if sum(line.amount for line in body.lines) <= 0:
            raise Unprocessable("the application asks for nothing: give at least one line an amount above 0")
        policy = (await store.policies_of(conn, [fund["id"]])).get(fund["id"])
        app_id = await _open(
            conn,
            rt.config,
            case_id=body.case_id,
            assessment_id=None,
            fund=fund,
            policy=policy,
            country=body.country,
            track=body.track,
            currency=fund["currency"],
            lines=[(line.purpose, line.amount) for line in body.lines],
            by=principal.sub,
        )
        return await _app_view(conn, app_id)


async def assign_fund(rt, principal: Principal, app_id: uuid.UUID, body: FundAssign) -> ApplicationView:
    async with rt.pool.acquire() as conn, conn.transaction():
        app = await _app_or_404(conn, principal, app_id, lock=True)
        if app["status"] not in domain.UNDECIDED:
            raise Conflict(
                f"the application is {app['status']}; a fund can only be assigned before a decision"
            )
        if await conn.fetchval("SELECT true FROM votes WHERE application_id = $1 LIMIT 1", app_id):
            raise Conflict("members have already voted on this application; open a new one for another fund")
        fund = await _fund_or_404(conn, principal, body.fund_id)
        if app["country"] not in fund["countries"]:
            raise Unprocessable(f"fund {fund['id']} does not serve {app['country']}")
        lines = None
        if app["currency"] != fund["currency"] or app["requested"] == 0:
            policy = (await store.policies_of(conn, [fund["id"]])).get(fund["id"])
            suggested = policy["suggested"] if policy else []
            current = (await store.lines_of(conn, [app_id]))[app_id]
            lines = [
                (r["purpose"], domain.suggested_amount(suggested, r["purpose"], app["country"]))
                for r in current
            ]
        await store.assign_fund(conn, app_id, fund["id"], fund["currency"], lines)
        return await _app_view(conn, app_id)


async def list_applications(
    rt,
    principal: Principal,
    *,
    country: str | None,
    case_id: uuid.UUID | None,
    status: str | None,
    overdue: bool | None,
    flagged: bool | None,
    fund_id: uuid.UUID | None,
    limit: int,
    offset: int,
):
    countries = principal.visible_countries(country)
    async with rt.pool.acquire() as conn:
        rows, total = await store.list_applications(
            conn,
            countries=countries,
            case_id=case_id,
            status=status,
            overdue=overdue,
            flagged=flagged,
            fund_id=fund_id,
            now=_now(),
            limit=limit,
            offset=offset,
        )
        return await _app_views(conn, rows), total


async def get_application(rt, principal: Principal, app_id: uuid.UUID) -> ApplicationView:
    async with rt.pool.acquire() as conn:
        app = await _app_or_404(conn, principal, app_id)
        (view,) = await _app_views(conn, [app])
        return view


# --- decisions -------------------------------------------------------------------------


async def _committee_context(conn, principal: Principal, app: asyncpg.Record):
    if app["fund_id"] is None:
        raise Conflict(
            "this application has no fund yet (none could cover it when it was opened); "
            "a fund administrator must assign one: POST /applications/{id}/fund"
        )
    policy = (await store.policies_of(conn, [app["fund_id"]])).get(app["fund_id"])
    if policy is None:
        raise Conflict(
            "the fund has no grant policy yet; a fund administrator must set it: PUT /funds/{id}/policy"
        )
    if not await store.is_member(conn, app["fund_id"], principal.sub):
        raise Forbidden("you are not a member of this fund's committee")
    return policy


async def _commit_money(
    conn,
    app: asyncpg.Record,
    amount: int,
    by: str,
    *,
    ratified: bool,
    ratification_hours: float | None,
    causation: Envelope | None = None,
) -> None:
    """Approval: the commitment is written under the fund lock or not at all."""
    fund = await store.get_fund(conn, app["fund_id"], lock=True)
    available = _totals(fund).available
    if amount > available:
        raise Conflict(
            f"the fund has {available} {fund['currency']} (minor units) available and this approval needs "
            f"{amount}: nothing was recorded. Deposit more into the fund or approve a smaller amount",
            extra={"available": available, "needed": amount, "currency": fund["currency"]},
        )
    await store.append_ledger(conn, fund["id"], "commitment", amount, by, application_id=app["id"])
    now = _now()
    due = None if ratified else now + timedelta(hours=ratification_hours or 48.0)
    await store.mark_approved(conn, app["id"], amount, ratified, now, due)
    lines = (await store.lines_of(conn, [app["id"]]))[app["id"]]
    shares = domain.allocate(amount, [r["amount"] for r in lines])
    await store.set_line_approvals(
        conn, app["id"], [(r["purpose"], s) for r, s in zip(lines, shares, strict=True)]
    )
    await enqueue(
        conn,
        _event(
            ApplicationApproved(
                application_id=app["id"],
                approved=Money(amount, fund["currency"]),
                track=app["track"],
                ratified=ratified,
            ),
            app["case_id"],
            causation,
        ),
    )


async def vote(rt, principal: Principal, app_id: uuid.UUID, body: VoteCreate) -> VoteView:
    if body.decision != "approve" and body.amount is not None:
        raise Unprocessable("only an approve vote carries an amount")
    async with rt.pool.acquire() as conn, conn.transaction():
        app = await _app_or_404(conn, principal, app_id, lock=True)
        policy = await _committee_context(conn, principal, app)
        if await store.is_recused(conn, app_id, principal.sub):
            raise Forbidden(
                "you declared a conflict of interest on this application: you are recused and cannot vote"
            )
        ratifying = app["status"] == "approved" and app["ratified"] is False
        if app["status"] not in domain.UNDECIDED and not ratifying:
            raise Conflict(
                f"the application is already {app['status']}"
                + (" and ratified" if app["status"] == "approved" else "")
                + "; votes are closed"
            )
        previous = await store.member_vote(conn, app_id, principal.sub)
        if previous is not None and body.decision != "request_info":
            raise Conflict(f"you already voted '{previous}' on this application; a vote cannot be changed")
        amount = None
        if body.decision == "approve":
            ceiling = policy["ceiling"]
            cap = min(app["requested"], ceiling) if app["requested"] > 0 else ceiling
            amount = body.amount if body.amount is not None else (cap if app["requested"] > 0 else None)
            if amount is None:
                raise Unprocessable("the application has no amount requested yet; say the amount you approve")
            if app["requested"] > 0 and amount > app["requested"]:
                raise Unprocessable(f"you approve {amount} but only {app['requested']} was requested")
            if amount > ceiling:
                raise Unprocessable(f"{amount} is above this fund's ceiling per grant ({ceiling})")
        emergency = (
            body.decision == "approve"
            and app["track"] == "emergency"
            and app["status"] in domain.UNDECIDED
            and amount is not None
            and amount <= policy["emergency_limit"]
        )
        vote_id = uuid.uuid4()
        comment = None
        if body.comment:
            if rt.cipher is None:
                raise Unavailable("comments cannot be stored: the PII keys are not configured")
            comment = rt.cipher.encrypt_obj(body.comment, aad=vote_id.bytes)
        await store.insert_vote(
            conn, vote_id, app_id, principal.sub, body.decision, amount, comment, emergency
        )
        tally = _tally((await store.tallies_of(conn, [app_id])).get(app_id), policy["quorum"])
        outcome = await _apply_tally(
            rt.config, conn, app, policy, tally, body.decision, principal.sub, emergency, amount
        )
        log.info("application.vote", application_id=str(app_id), decision=body.decision, outcome=outcome)
        return VoteView(
            id=vote_id,
            application_id=app_id,
            member=principal.sub,
            decision=body.decision,
            amount=amount,
            emergency=emergency,
            outcome=outcome,
            application=await _app_view(conn, app_id),
        )


async def _apply_tally(
    settings, conn, app, policy, tally: domain.Tally, decision: str | None, by: str, emergency: bool, amount
) -> str:
    ratification_hours = policy["ratification_hours"] or settings.ratification_hours
    if app["status"] == "approved":  # an emergency approval waiting for ratification
        outcome = domain.ratification_outcome(tally)
        if outcome == "ratified":
            await store.mark_ratified(conn, app["id"], _now())
            fund = await store.get_fund(conn, app["fund_id"])
            await enqueue(
                conn,
                _event(
                    ApplicationApproved(
                        application_id=app["id"],
                        approved=Money(app["approved"], fund["currency"]),
                        track=app["track"],
                        ratified=True,
                    ),
                    app["case_id"],
                ),
            )
        elif outcome == "flagged":
            await store.mark_flagged(conn, app["id"], "ratification_refused")
        return outcome
    outcome = domain.ordinary_outcome(tally)
    if outcome == "approved":
        await _commit_money(
            conn, app, tally.approved_amount, by, ratified=True, ratification_hours=ratification_hours
        )
    elif emergency:
        await _commit_money(conn, app, amount, by, ratified=False, ratification_hours=ratification_hours)
        outcome = "approved"
    elif outcome == "rejected":
        await store.mark_rejected(conn, app["id"], _now())
        await enqueue(conn, _event(ApplicationRejected(application_id=app["id"]), app["case_id"]))
    elif decision == "request_info":
        await store.set_status(conn, app["id"], "info_requested")
        await enqueue(conn, _event(ApplicationInfoRequested(application_id=app["id"]), app["case_id"]))
        outcome = "info_requested"
    return outcome


async def recuse(rt, principal: Principal, app_id: uuid.UUID, body: RecusalCreate) -> RecusalView:
    async with rt.pool.acquire() as conn, conn.transaction():
        app = await _app_or_404(conn, principal, app_id, lock=True)
        policy = await _committee_context(conn, principal, app)
        if await store.member_vote(conn, app_id, principal.sub) is not None:
            raise Conflict("you have already voted on this application; a recusal must come before the vote")
        if not await store.insert_recusal(conn, app_id, principal.sub, body.reason_code):
            raise Conflict("you are already recused from this application")
        # Fewer eligible members can complete the quorum with the votes already cast.
        if app["status"] in domain.UNDECIDED or (app["status"] == "approved" and app["ratified"] is False):
            tally = _tally((await store.tallies_of(conn, [app_id])).get(app_id), policy["quorum"])
            await _apply_tally(rt.config, conn, app, policy, tally, None, principal.sub, False, None)
        log.info("application.recusal", application_id=str(app_id))
        return RecusalView(
            id=f"{app_id}:{principal.sub}",
            application_id=app_id,
            member=principal.sub,
            reason_code=body.reason_code,
            application=await _app_view(conn, app_id),
        )


# --- disbursements ---------------------------------------------------------------------


def _check_key(key: str | None) -> str:
    if key is None or not key.strip():
        raise BadRequest(
            "the Idempotency-Key header is required: send a new random key (e.g. a UUID) for each tranche, "
            "and the same key when you retry it"
        )
    key = key.strip()
    if len(key) > 200 or not key.isprintable():
        raise BadRequest("the Idempotency-Key header must be 1-200 printable characters")
    return key


async def disburse(
    rt, principal: Principal, app_id: uuid.UUID, key: str | None, body: DisbursementCreate
) -> tuple[DisbursementView, bool]:
    """Pay one tranche. Returns (answer, created); a retry with the same key and body gets
    the stored answer and ``created=False``; nothing is paid twice."""
    key = _check_key(key)
    fp = domain.request_digest(msgspec.json.encode(body))
    try:
        return await _disburse(rt, principal, app_id, key, fp, body)
    except asyncpg.UniqueViolationError:
        # A twin request with the same key committed between our check and our insert.
        async with rt.pool.acquire() as conn:
            stored = await store.disbursement_by_key(conn, app_id, key)
        if stored is None:
            raise
        return _replay(stored, fp), False


def _replay(stored: asyncpg.Record, fp: str) -> DisbursementView:
    if stored["fingerprint"] != fp:
        raise Unprocessable(
            "this Idempotency-Key was already used for a different disbursement on this application; "
            "use a new key for a new tranche"
        )
    return msgspec.convert(stored["response"], DisbursementView, strict=False)


async def _disburse(
    rt, principal, app_id, key, fp, body: DisbursementCreate
) -> tuple[DisbursementView, bool]:
    async with rt.pool.acquire() as conn, conn.transaction():
        app = await _app_or_404(conn, principal, app_id, lock=True)
        # Read after the lock: a twin that held it has committed and is visible now.
        stored = await store.disbursement_by_key(conn, app_id, key)
        if stored is not None:
            return _replay(stored, fp), False
        if app["status"] != "approved":
            raise Conflict(f"the application is {app['status']}; only approved applications are paid")
        if body.currency != app["currency"]:
            raise Unprocessable(f"this grant is in {app['currency']}; the tranche is in {body.currency}")
        paid, _released = (await store.money_of(conn, [app_id])).get(app_id, (0, 0))
        remaining = app["approved"] - paid
        if body.amount > remaining:
            raise Conflict(
                f"this tranche of {body.amount} would pay more than was approved: {app['approved']} approved, "
                f"{paid} already paid, {remaining} left",
                extra={"approved": app["approved"], "paid": paid, "remaining": remaining},
            )
        fund = await store.get_fund(conn, app["fund_id"], lock=True)
        now = _now()
        disbursement_id = uuid.uuid4()
        tranche = await store.tranche_count(conn, app_id) + 1
        view = DisbursementView(
            id=disbursement_id,
            application_id=app_id,
            fund_id=fund["id"],
            tranche=tranche,
            amount=body.amount,
            currency=app["currency"],
            method=body.method,
            payee_reference=body.payee_reference,
            paid_total=paid + body.amount,
            approved=app["approved"],
            remaining=remaining - body.amount,
            made_at=now,
        )
        await store.insert_disbursement(
            conn,
            {
                "id": disbursement_id,
                "application_id": app_id,
                "idempotency_key": key,
                "fingerprint": fp,
                "tranche": tranche,
                "amount": body.amount,
                "method": body.method,
                "payee_reference": body.payee_reference,
                "response": msgspec.to_builtins(view),
                "made_by": principal.sub,
                "made_at": now,
            },
        )
        try:
            await store.append_ledger(
                conn,
                fund["id"],
                "disbursement",
                body.amount,
                principal.sub,
                application_id=app_id,
                disbursement_id=disbursement_id,
            )
        except asyncpg.CheckViolationError:
            raise Conflict("the fund or the grant cannot cover this tranche; nothing was paid") from None
        await store.set_first_paid(conn, app_id, now)
        await enqueue(
            conn,
            _event(
                DisbursementMade(
                    application_id=app_id,
                    disbursement_id=disbursement_id,
                    amount=Money(body.amount, app["currency"]),
                    tranche=tranche,
                    paid_total=Money(paid + body.amount, app["currency"]),
                    method=body.method,
                ),
                app["case_id"],
            ),
        )
    log.info("disbursement.made", application_id=str(app_id), tranche=tranche, amount=body.amount)
    return view, True


async def close(rt, principal: Principal, app_id: uuid.UUID, body: CloseCreate) -> ApplicationView:
    async with rt.pool.acquire() as conn, conn.transaction():
        app = await _app_or_404(conn, principal, app_id, lock=True)
        if app["status"] == "closed":
            raise Conflict("the application is already closed")
        await _close(conn, app, principal.sub, body.reason_code)
        return await _app_view(conn, app_id)


async def _close(conn, app: asyncpg.Record, by: str, reason: str, causation: Envelope | None = None) -> None:
    """Close a locked application: what was committed and not paid goes back to the fund."""
    app_id = app["id"]
    paid, released = (await store.money_of(conn, [app_id])).get(app_id, (0, 0))
    release = (app["approved"] or 0) - paid - released
    if release > 0:
        await store.get_fund(conn, app["fund_id"], lock=True)
        await store.append_ledger(conn, app["fund_id"], "release", release, by, application_id=app_id)
    await store.mark_closed(conn, app_id, _now(), reason)
    await enqueue(
        conn,
        _event(
            ApplicationClosed(
                application_id=app_id,
                paid=Money(paid, app["currency"]),
                released=Money(released + max(release, 0), app["currency"]),
            ),
            app["case_id"],
            causation,
        ),
    )
    log.info("application.closed", application_id=str(app_id), released=max(release, 0))


async def close_for_closed_case(conn, event: Envelope) -> int:
    """Consumer side of ``amparo.risk.case.closed``: undecided applications of the case are
    closed (nothing to release). Approved ones stay open: money may still be owed, and a
    fund administrator closes them, which releases what is unpaid."""
    if event.case_id is None:
        return 0
    rows = await conn.fetch(
        "SELECT * FROM applications WHERE case_id = $1 AND status IN ('pending', 'info_requested') "
        "ORDER BY id FOR UPDATE",
        event.case_id,
    )
    for app in rows:
        await _close(conn, app, f"event:{event.id}", "case_closed", causation=event)
    return len(rows)


# --- deadlines -------------------------------------------------------------------------


async def emit_overdue(rt) -> int:
    """Periodic job: one ApplicationOverdue per application that passed its due time undecided."""
    async with rt.pool.acquire() as conn, conn.transaction():
        rows = await store.claim_overdue(conn, _now())
        await enqueue(
            conn,
            *[
                _event(
                    ApplicationOverdue(application_id=r["id"], track=r["track"], due_at=r["due_at"]),
                    r["case_id"],
                )
                for r in rows
            ],
        )
    if rows:
        log.info("applications.overdue", count=len(rows))
    return len(rows)


# --- reports ---------------------------------------------------------------------------


def _bounds(start: date | None, end: date | None) -> tuple[datetime, datetime]:
    lo = datetime.combine(start, time(), UTC) if start else datetime(2000, 1, 1, tzinfo=UTC)
    hi = datetime.combine(end + timedelta(days=1), time(), UTC) if end else _now() + timedelta(days=1)
    if hi <= lo:
        raise BadRequest("'from' must be on or before 'to' (dates as YYYY-MM-DD, both included)")
    return lo, hi


async def grants_report(
    rt, principal: Principal, start: date | None, end: date | None, country: str | None
) -> GrantsReport:
    countries = principal.visible_countries(country)
    lo, hi = _bounds(start, end)
    async with rt.pool.acquire() as conn:
        granted = await store.granted_lines(conn, countries, lo, hi)
        paid = await store.payments(conn, countries, lo, hi)
        lines = await store.lines_of(conn, list({p["application_id"] for p in paid}))
        durations = await store.durations(conn, countries, lo, hi)
    cells: dict[tuple[str, str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    for g in granted:
        cells[(g["country"], g["purpose"], g["month"], g["currency"])][0] += g["granted"]
    for p in paid:
        # A tranche pays the purposes in the proportions they were approved in.
        app_lines = lines[p["application_id"]]
        shares = domain.allocate(p["amount"], [r["approved"] or 0 for r in app_lines])
        for r, share in zip(app_lines, shares, strict=True):
            if share:
                cells[(p["country"], r["purpose"], p["month"], p["currency"])][1] += share
    rows = [
        GrantRow(country=k[0], purpose=k[1], month=k[2], currency=k[3], granted=v[0], paid=v[1])
        for k, v in sorted(cells.items())
    ]
    to_decision = [float(d["to_decision"]) for d in durations if d["to_decision"] is not None]
    to_payment = [float(d["to_payment"]) for d in durations if d["to_payment"] is not None]
    return GrantsReport(rows=rows, to_decision=_dist(to_decision), to_first_payment=_dist(to_payment))


def _dist(values: list[float]) -> Distribution:
    med = domain.percentile(values, 0.5)
    p90 = domain.percentile(values, 0.9)
    return Distribution(
        count=len(values),
        median_hours=None if med is None else round(med, 4),
        p90_hours=None if p90 is None else round(p90, 4),
    )
