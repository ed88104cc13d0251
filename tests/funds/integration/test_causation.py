"""Every event funds writes because of another names it: an application opened from an
assessment names the AssessmentRecorded event, one closed for a closed case the CaseClosed
event; an approval, ratification or rejection names the committee vote that decided it.
Read from the outbox, in the transaction that wrote them (no broker needed)."""

from __future__ import annotations

import uuid

from services.funds.applications import service as applications
from services.funds.applications.schemas import ApplicationCreate, LineIn
from services.funds.committee import service as committee
from services.funds.committee.schemas import RecusalCreate, VoteCreate
from services.funds.funds import service as funds
from services.funds.funds.schemas import DepositCreate, FundCreate, MemberAdd, PolicyPut, SuggestedAmount
from shared.events import AssessmentRecorded, CaseClosed, Party, decode_event, new_event
from tests.funds.helpers import known_case, principal

ADMIN = principal("admin", "fund_admin")


def member(sub: str):
    return principal(sub, "fund_committee")


async def outbox(rt, event_type: str) -> list:
    async with rt.pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT payload FROM outbox WHERE subject = $1 ORDER BY created_at", event_type
        )
    return [decode_event(bytes(r["payload"])) for r in rows]


async def a_fund(rt, *, quorum: int = 2, emergency_limit: int = 50_000) -> uuid.UUID:
    fund = await funds.create_fund(rt, ADMIN, FundCreate(name="F", currency="GTQ", countries=["GT"]))
    await funds.deposit(rt, ADMIN, fund.id, DepositCreate(amount=1_000_000, currency="GTQ"))
    policy = PolicyPut(
        ceiling=500_000,
        emergency_limit=emergency_limit,
        quorum=quorum,
        suggested=[SuggestedAmount(purpose="legal", amount=30_000)],
    )
    await funds.put_policy(rt, ADMIN, fund.id, policy)
    for sub in ("m1", "m2", "m3"):
        await funds.add_member(rt, ADMIN, fund.id, MemberAdd(sub=sub))
    return fund.id


async def an_application(rt, fund_id: uuid.UUID, *, track: str = "ordinary") -> uuid.UUID:
    body = ApplicationCreate(
        case_id=uuid.UUID(await known_case(rt.pool, country="GT")),
        country="GT",
        fund_id=fund_id,
        track=track,
        lines=[LineIn(purpose="legal", amount=40_000)],
    )
    return (await applications.create_application(rt, ADMIN, body)).id


def assessment(case_id: uuid.UUID):
    payload = AssessmentRecorded(
        assessment_id=uuid.uuid4(),
        instrument_version="v1",
        computed_level="high",
        level="high",
        scores={"threat": 8},
        measures=["legal_grant"],
        country="GT",
        region="GT-17",
        party=Party(),
        shared_with=["shelters", "funds"],
    )
    return new_event(payload, producer="risk", case_id=case_id)


async def test_opened_from_an_assessment_and_closed_with_the_case_name_their_causes(rt):
    await a_fund(rt)
    case_id = uuid.uuid4()
    recorded = assessment(case_id)
    closed = new_event(CaseClosed(reason="risk_ceased"), producer="risk", case_id=case_id, causation=recorded)
    async with rt.pool.acquire() as conn, conn.transaction():
        assert await applications.open_from_assessment(conn, rt.config, recorded) is not None
    async with rt.pool.acquire() as conn, conn.transaction():
        assert await applications.close_for_closed_case(conn, closed) == 1
    (opened,) = await outbox(rt, "amparo.funds.application.opened")
    assert opened.causation_id == recorded.id and opened.correlation_id == recorded.correlation_id
    assert opened.case_id == case_id and opened.data.requested.amount == 30_000
    (app_closed,) = await outbox(rt, "amparo.funds.application.closed")
    assert app_closed.causation_id == closed.id and app_closed.correlation_id == recorded.correlation_id
    assert app_closed.data.application_id == opened.data.application_id


async def test_an_approval_and_a_rejection_name_the_deciding_vote(rt):
    fund_id = await a_fund(rt)
    approved_app, rejected_app = await an_application(rt, fund_id), await an_application(rt, fund_id)
    await committee.vote(rt, member("m1"), approved_app, VoteCreate(decision="approve"))
    deciding = await committee.vote(rt, member("m2"), approved_app, VoteCreate(decision="approve"))
    await committee.vote(rt, member("m1"), rejected_app, VoteCreate(decision="reject"))
    rejecting = await committee.vote(rt, member("m2"), rejected_app, VoteCreate(decision="reject"))
    assert (deciding.outcome, rejecting.outcome) == ("approved", "rejected")
    (approved,) = await outbox(rt, "amparo.funds.application.approved")
    assert approved.data.application_id == approved_app and approved.data.vote_id == deciding.id
    (rejected,) = await outbox(rt, "amparo.funds.application.rejected")
    assert rejected.data.application_id == rejected_app and rejected.data.vote_id == rejecting.id


async def test_an_emergency_approval_and_its_ratification_each_name_their_vote(rt):
    fund_id = await a_fund(rt, emergency_limit=50_000)
    app_id = await an_application(rt, fund_id, track="emergency")
    first = await committee.vote(rt, member("m1"), app_id, VoteCreate(decision="approve"))
    ratifying = await committee.vote(rt, member("m2"), app_id, VoteCreate(decision="approve"))
    assert (first.outcome, first.emergency, ratifying.outcome) == ("approved", True, "ratified")
    emergency, ratified = await outbox(rt, "amparo.funds.application.approved")
    assert (emergency.data.ratified, emergency.data.vote_id) == (False, first.id)
    assert (ratified.data.ratified, ratified.data.vote_id) == (True, ratifying.id)


async def test_a_recusal_that_completes_the_quorum_names_no_vote(rt):
    fund_id = await a_fund(rt, quorum=3)
    app_id = await an_application(rt, fund_id)
    for sub in ("m1", "m2"):
        await committee.vote(rt, member(sub), app_id, VoteCreate(decision="approve"))
    recusal = await committee.recuse(rt, member("m3"), app_id, RecusalCreate())
    assert recusal.application.status == "approved"
    (approved,) = await outbox(rt, "amparo.funds.application.approved")
    assert approved.data.vote_id is None
