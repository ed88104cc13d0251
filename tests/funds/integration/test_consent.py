"""Funds and her consent (risk decides it; the events carry it): no automatic application
without ``funds`` in the assessment's ``shared_with``; a revocation withdraws her
undecided applications (each ApplicationWithdrawn caused by it) and leaves decided ones."""

from __future__ import annotations

import uuid

from services.funds import handlers
from services.funds.committee import service as committee
from services.funds.committee.schemas import VoteCreate
from shared.consumer import EventContext
from shared.events import AssessmentRecorded, ConsentRevoked, Party, new_event
from tests.funds.integration.test_causation import a_fund, an_application, member, outbox


def assessed(case_id: uuid.UUID, shared_with: list[str]):
    payload = AssessmentRecorded(
        assessment_id=uuid.uuid4(),
        instrument_version="gender-v1",
        computed_level="high",
        level="high",
        scores={"gender": 7},
        measures=["legal_grant"],
        country="GT",
        region="GT-14",
        party=Party(),
        shared_with=shared_with,
    )
    return new_event(payload, producer="risk", case_id=case_id)


async def handle(rt, event) -> None:
    async with rt.pool.acquire() as conn, conn.transaction():
        await handlers.RISK[type(event.data)](EventContext(conn=conn, config=rt.config), event)


async def test_no_application_without_consent_to_share_with_the_funds(rt):
    await a_fund(rt)
    case_id = uuid.uuid4()
    for shared in ([], ["shelters", "statistics", "contact"]):
        await handle(rt, assessed(case_id, shared))
    assert await outbox(rt, "amparo.funds.application.opened") == []
    assert await rt.pool.fetchval("SELECT count(*) FROM cases WHERE id = $1", case_id) == 1
    await handle(rt, assessed(case_id, ["funds"]))
    assert len(await outbox(rt, "amparo.funds.application.opened")) == 1


async def test_revocation_withdraws_undecided_applications_only(rt):
    fund_id = await a_fund(rt)
    undecided, decided = await an_application(rt, fund_id), await an_application(rt, fund_id)
    await committee.vote(rt, member("m1"), decided, VoteCreate(decision="approve"))
    await committee.vote(rt, member("m2"), decided, VoteCreate(decision="approve"))
    # One case with both (an_application gives each its own case: join them for the test).
    case_id = await rt.pool.fetchval("SELECT case_id FROM applications WHERE id = $1", undecided)
    await rt.pool.execute("UPDATE applications SET case_id = $1 WHERE id = $2", case_id, decided)

    await handle(rt, new_event(ConsentRevoked(purpose="shelters"), producer="risk", case_id=case_id))
    assert await outbox(rt, "amparo.funds.application.withdrawn") == []
    revocation = new_event(ConsentRevoked(purpose="funds"), producer="risk", case_id=case_id)
    await handle(rt, revocation)
    (withdrawn,) = await outbox(rt, "amparo.funds.application.withdrawn")
    assert withdrawn.data.application_id == undecided and withdrawn.causation_id == revocation.id
    statuses = dict(await rt.pool.fetch("SELECT id, status FROM applications"))
    assert statuses == {undecided: "closed", decided: "approved"}
    assert await rt.pool.fetchval("SELECT close_reason FROM applications WHERE id = $1", undecided) == (
        "consent_revoked"
    )
