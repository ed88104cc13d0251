"""Use cases of the committee: votes and recusals, and what the tally then decides.

A vote or a recusal locks the application row; an approval then locks the fund row to
commit the money (the lock order of ``applications.service``). A refused approval rolls
the vote back with it: nothing is half-written.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from services.funds.applications import store as applications_store
from services.funds.applications.matching import check_has_fund, check_priced
from services.funds.applications.views import application_or_404, view
from services.funds.committee import store
from services.funds.committee.schemas import RecusalCreate, RecusalView, SeatView, VoteCreate, VoteView
from services.funds.config import FundsConfig
from services.funds.domain import deadlines
from services.funds.domain.committee import (
    Decision,
    alone_approves_up_to,
    approval_amount,
    awaits_ratification,
    check_votes_open,
    decide,
    emergency_approval,
    votes_open,
)
from services.funds.domain.money import allocate, check_commitment
from services.funds.events import emit
from services.funds.funds import store as funds_store
from shared.auth import Principal
from shared.errors import Conflict, Invalid, NotAllowed, Unavailable
from shared.events import ApplicationApproved, ApplicationInfoRequested, ApplicationRejected, Money
from shared.logging import get_logger
from shared.runtime import Runtime

log = get_logger(__name__)


async def _committee_policy(conn, principal: Principal, app: asyncpg.Record) -> asyncpg.Record:
    """The policy of the application's fund, if the caller sits on its committee."""
    # Why it has no fund (no fund serves the country, none has a policy, none has enough).
    check_has_fund(app)
    policy = await funds_store.policy_of(conn, app["fund_id"])
    if policy is None:
        raise Conflict(
            "the fund has no grant policy yet; a fund administrator must set it: PUT /funds/{id}/policy",
            code="fund.needs_policy",
        )
    if not await funds_store.is_member(conn, app["fund_id"], principal.sub):
        raise NotAllowed("you are not a member of this fund's committee", code="committee.not_a_member")
    return policy


async def vote(rt: Runtime, principal: Principal, app_id: uuid.UUID, body: VoteCreate) -> VoteView:
    """A member votes; the tally may then approve (or ratify), reject or ask for information."""
    if body.decision != "approve" and body.amount is not None:
        raise Invalid(
            "only an approve vote carries an amount",
            code="committee.amount_without_approval",
            extra={"field": "amount"},
        )
    async with rt.pool.acquire() as conn, conn.transaction():
        app = await application_or_404(conn, principal, app_id, lock=True)
        policy = await _committee_policy(conn, principal, app)
        recusal = await store.recusal_of(conn, app_id, principal.sub)
        if recusal is not None:
            why = (
                "you opened this application"
                if recusal["automatic"]
                else "you declared a conflict of interest on this application"
            )
            raise NotAllowed(
                f"{why}: you are recused and cannot vote",
                code="committee.recused",
                extra={"automatic": recusal["automatic"]},
            )
        check_votes_open(app["status"], app["ratified"])
        # Nothing to decide on a request of 0: a fund administrator prices it first.
        check_priced(app)
        if body.decision != "request_info" and await store.member_vote(conn, app_id, principal.sub):
            raise Conflict(
                "you already voted on this application; a vote cannot be changed",
                code="committee.already_voted",
            )
        amount = None
        if body.decision == "approve":
            amount = approval_amount(app["requested"], policy["ceiling"], body.amount)
        emergency = amount is not None and emergency_approval(
            app["track"], app["status"], amount, policy["emergency_limit"]
        )
        vote_id = uuid.uuid4()
        comment = None
        if body.comment:
            if rt.cipher is None:
                raise Unavailable(
                    "comments cannot be stored: the PII keys are not configured",
                    code="committee.comments_unavailable",
                )
            comment = rt.cipher.encrypt_obj(body.comment, aad=vote_id.bytes)
        await store.insert_vote(
            conn, vote_id, app_id, principal.sub, body.decision, amount, comment, emergency
        )
        decision = decide(
            await store.tally_of(conn, app_id, policy["quorum"]),
            awaiting_ratification=awaits_ratification(app["status"], app["ratified"]),
            request_info=body.decision == "request_info",
            emergency_amount=amount if emergency else None,
        )
        await _apply(conn, rt.config, app, policy, decision, by=principal.sub, vote_id=vote_id)
        log.info(
            "application.vote", application_id=str(app_id), decision=body.decision, outcome=decision.outcome
        )
        return VoteView(
            id=vote_id,
            application_id=app_id,
            member=principal.sub,
            decision=body.decision,
            amount=amount,
            emergency=emergency,
            outcome=decision.outcome,
            application=await view(conn, app_id),
        )


async def recuse(rt: Runtime, principal: Principal, app_id: uuid.UUID, body: RecusalCreate) -> RecusalView:
    """A member declares a conflict of interest before voting; the smaller committee may
    complete the quorum with the votes already cast."""
    async with rt.pool.acquire() as conn, conn.transaction():
        app = await application_or_404(conn, principal, app_id, lock=True)
        policy = await _committee_policy(conn, principal, app)
        if await store.member_vote(conn, app_id, principal.sub) is not None:
            raise Conflict(
                "you have already voted on this application; a recusal must come before the vote",
                code="committee.recusal_after_vote",
            )
        if not await store.insert_recusal(conn, app_id, principal.sub, body.reason_code):
            raise Conflict("you are already recused from this application", code="committee.already_recused")
        if votes_open(app["status"], app["ratified"]):
            decision = decide(
                await store.tally_of(conn, app_id, policy["quorum"]),
                awaiting_ratification=awaits_ratification(app["status"], app["ratified"]),
            )
            await _apply(conn, rt.config, app, policy, decision, by=principal.sub, vote_id=None)
        log.info("application.recusal", application_id=str(app_id))
        return RecusalView(
            id=f"{app_id}:{principal.sub}",
            application_id=app_id,
            member=principal.sub,
            reason_code=body.reason_code,
            application=await view(conn, app_id),
        )


async def seat(rt: Runtime, principal: Principal, app_id: uuid.UUID) -> SeatView:
    """The caller's seat on the application's committee: member, recused, her vote, and
    whether an approve vote of hers would approve alone or complete the quorum."""
    async with rt.pool.acquire() as conn:
        app = await application_or_404(conn, principal, app_id)
        fund_id = app["fund_id"]
        policy = await funds_store.policy_of(conn, fund_id) if fund_id else None
        member = fund_id is not None and await funds_store.is_member(conn, fund_id, principal.sub)
        recusal = await store.recusal_of(conn, app_id, principal.sub)
        decision = await store.member_vote(conn, app_id, principal.sub)
        open_ = votes_open(app["status"], app["ratified"])
        may_vote = bool(
            member and policy and recusal is None and decision is None and open_
            and principal.has_role("fund_committee")
        )  # fmt: skip
        tally = await store.tally_of(conn, app_id, policy["quorum"]) if policy else None
        return SeatView(
            application_id=app_id,
            member=member,
            recused=recusal is not None,
            automatic=bool(recusal and recusal["automatic"]),
            decision=decision,
            votes_open=open_,
            may_vote=may_vote,
            ceiling=policy["ceiling"] if policy else None,
            emergency_limit=policy["emergency_limit"] if policy else None,
            alone_approves_up_to=(
                alone_approves_up_to(app["track"], app["status"], policy["emergency_limit"])
                if may_vote and policy
                else None
            ),
            completes_quorum=bool(may_vote and tally and len(tally.approvals) + 1 >= tally.required),
        )


async def _apply(
    conn,
    config: FundsConfig,
    app: asyncpg.Record,
    policy: asyncpg.Record,
    decision: Decision,
    *,
    by: str,
    vote_id: uuid.UUID | None,
) -> None:
    """Write what the tally decided on the locked application, and announce it; the
    event names the vote that decided (``vote_id``)."""
    app_id, case_id, now = app["id"], app["case_id"], datetime.now(UTC)
    if decision.outcome == "approved":
        await _commit(conn, config, app, policy, decision, by=by, vote_id=vote_id)
    elif decision.outcome == "ratified":
        await store.mark_ratified(conn, app_id, now)
        approved = ApplicationApproved(
            application_id=app_id,
            approved=Money(app["approved"], app["currency"]),
            track=app["track"],
            ratified=True,
            vote_id=vote_id,
        )
        await emit(conn, approved, case_id)
    elif decision.outcome == "flagged":
        await store.mark_flagged(conn, app_id, "ratification_refused")
    elif decision.outcome == "rejected":
        await store.mark_rejected(conn, app_id, now)
        await emit(conn, ApplicationRejected(application_id=app_id, vote_id=vote_id), case_id)
    elif decision.outcome == "info_requested":
        await store.mark_info_requested(conn, app_id)
        await emit(conn, ApplicationInfoRequested(application_id=app_id), case_id)


async def _commit(
    conn,
    config: FundsConfig,
    app: asyncpg.Record,
    policy: asyncpg.Record,
    decision: Decision,
    *,
    by: str,
    vote_id: uuid.UUID | None,
) -> None:
    """Approval: the commitment is written under the fund's lock or not at all."""
    assert decision.amount is not None
    # Never above what is asked for now: a new assessment may have lowered it since the votes.
    amount = min(decision.amount, app["requested"]) if app["requested"] > 0 else decision.amount
    fund = await funds_store.get_fund(conn, app["fund_id"], lock=True)
    check_commitment(funds_store.totals(fund), amount, fund["currency"])
    await funds_store.append_ledger(conn, fund["id"], "commitment", amount, by, application_id=app["id"])
    now = datetime.now(UTC)
    due = None if decision.ratified else deadlines.ratification_due(now, policy, config)
    await store.mark_approved(conn, app["id"], amount, decision.ratified, now, due)
    # The approved amount is split over the lines as they were asked for, for the report.
    lines = (await applications_store.lines_of(conn, [app["id"]]))[app["id"]]
    shares = allocate(amount, [r["amount"] for r in lines])
    await store.set_line_approvals(
        conn, app["id"], [(r["purpose"], s) for r, s in zip(lines, shares, strict=True)]
    )
    approved = ApplicationApproved(
        application_id=app["id"],
        approved=Money(amount, fund["currency"]),
        track=app["track"],
        ratified=decision.ratified,
        vote_id=vote_id,
    )
    await emit(conn, approved, app["case_id"])
