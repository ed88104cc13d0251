"""Why no fund fits, and a fund without a policy answering clearly (issue 14), on the use
cases against the real database: the stored reason, the 409s it gives, a policy that
prices what waited for it, and refusals of a fund without a policy."""

from __future__ import annotations

import uuid

import pytest

from services.funds.applications import service as applications
from services.funds.applications import views
from services.funds.applications.schemas import ApplicationCreate, FundAssign, LineIn
from services.funds.committee import service as committee
from services.funds.committee.schemas import VoteCreate
from services.funds.funds import service as funds
from services.funds.funds.schemas import DepositCreate, FundCreate, MemberAdd, PolicyPut, SuggestedAmount
from shared.errors import Conflict
from shared.events import AssessmentRecorded, Party, new_event
from tests.funds.helpers import known_case, principal

ADMIN = principal("admin", "fund_admin")
M1 = principal("m1", "fund_committee")


def recorded(case_id: uuid.UUID, country: str, measures: list[str]):
    payload = AssessmentRecorded(
        assessment_id=uuid.uuid4(),
        instrument_version="v1",
        computed_level="medium",
        level="medium",
        scores={"threat": 4},
        measures=measures,
        country=country,
        region=None,
        party=Party(),
    )
    return new_event(payload, producer="risk", case_id=case_id)


async def from_assessment(rt, country: str, measures: list[str]):
    async with rt.pool.acquire() as conn, conn.transaction():
        app_id = await applications.open_from_assessment(
            conn, rt.config, recorded(uuid.uuid4(), country, measures)
        )
    return await views.get_application(rt, ADMIN, app_id)


async def a_fund(rt, *, policy: PolicyPut | None, amount: int = 500_000) -> uuid.UUID:
    fund = await funds.create_fund(rt, ADMIN, FundCreate(name="F", currency="GTQ", countries=["GT"]))
    await funds.deposit(rt, ADMIN, fund.id, DepositCreate(amount=amount, currency="GTQ"))
    await funds.add_member(rt, ADMIN, fund.id, MemberAdd(sub="m1"))
    if policy is not None:
        await funds.put_policy(rt, ADMIN, fund.id, policy)
    return fund.id


async def test_no_fund_serves_the_country(rt):
    app = await from_assessment(rt, "MX", ["legal_grant"])
    assert app.fund_id is None and app.match is not None and app.match.reason == "no_fund_serves_country"
    assert (app.requested, app.currency) == (0, "USD")
    with pytest.raises(Conflict) as refused:
        await committee.vote(rt, M1, app.id, VoteCreate(decision="approve", amount=100))
    assert refused.value.code == "application.no_fund_serves_country"


async def test_a_fund_without_a_policy_receives_no_application(rt):
    bare = await a_fund(rt, policy=None)
    assert (await funds.get_fund(rt, ADMIN, bare)).receives_applications is False
    case_id = uuid.UUID(await known_case(rt.pool, country="GT"))
    body = ApplicationCreate(
        case_id=case_id, country="GT", fund_id=bare, lines=[LineIn(purpose="legal", amount=1)]
    )
    with pytest.raises(Conflict) as refused:
        await applications.create_application(rt, ADMIN, body)
    assert refused.value.code == "fund.needs_policy"
    app = await from_assessment(rt, "GT", ["legal_grant"])
    assert app.match is not None and app.match.reason == "no_fund_with_policy"
    with pytest.raises(Conflict) as refused:
        await applications.assign_fund(rt, ADMIN, app.id, FundAssign(fund_id=bare))
    assert refused.value.code == "fund.needs_policy"


async def test_a_policy_change_prices_what_its_fund_priced_at_zero(rt):
    fund_id = await a_fund(rt, policy=PolicyPut(ceiling=100_000, emergency_limit=10_000, quorum=1))
    app = await from_assessment(rt, "GT", ["legal_grant", "relocation_grant"])
    # Taken by the fund (0 is covered), but nothing to decide on yet.
    assert app.fund_id == fund_id and app.match is None and app.requested == 0
    with pytest.raises(Conflict) as refused:
        await committee.vote(rt, M1, app.id, VoteCreate(decision="approve"))
    assert refused.value.code == "application.unpriced"
    suggested = [
        SuggestedAmount(purpose="legal", amount=20_000),
        SuggestedAmount(purpose="relocation", amount=70_000),
    ]
    await funds.put_policy(
        rt, ADMIN, fund_id, PolicyPut(ceiling=100_000, emergency_limit=10_000, quorum=1, suggested=suggested)
    )
    priced = await views.get_application(rt, ADMIN, app.id)
    assert priced.requested == 90_000 and priced.revision == 1 and priced.revisions[0].cause == "policy"
    assert priced.revisions[0].previous.requested == 0 and priced.revisions[0].current.requested == 90_000
    decided = await committee.vote(rt, M1, app.id, VoteCreate(decision="approve"))
    assert decided.outcome == "approved" and decided.application.approved == 90_000
    # A decided application is not re-priced by a later policy.
    await funds.put_policy(rt, ADMIN, fund_id, PolicyPut(ceiling=100_000, emergency_limit=10_000, quorum=1))
    assert (await views.get_application(rt, ADMIN, app.id)).requested == 90_000
