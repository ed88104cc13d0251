"""Retention across the services (issue 14), through real NATS: risk blocks and erases, and
announces it; funds erases its vote comments and payee references for the case; shelters
holds none and notes the events. The grants report and the incident statistics give the
same totals before and after."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import asyncpg
import pytest

from services.risk.retention.service import apply_retention
from shared import db
from tests.funds.helpers import ADMIN as FUND_ADMIN
from tests.funds.helpers import make_fund, vote
from tests.risk.api.test_incidents import incident
from tests.risk.helpers import assessment_body, case_body
from tests.support import auth, eventually, service_client

ANALYST = auth("risk_analyst", countries=("GT",))
ADMIN = auth("admin", sub="root")
COMMENT = "La defensora Juana y sus hijas salen de Petén"
PAYEE = "GT82-0001-2345"
BLOCKED = "amparo.risk.case.personal_data_blocked"
ERASED = "amparo.risk.case.personal_data_erased"


@pytest.fixture
async def stack(make_settings):
    async with contextlib.AsyncExitStack() as stack:
        clients, conns = {}, {}
        for name in ("risk", "shelters", "funds"):
            settings = await make_settings(name)
            clients[name] = await stack.enter_async_context(service_client(name, settings))
            conns[name] = await asyncpg.connect(settings.dsn(name))
            stack.push_async_callback(conns[name].close)
        yield clients, conns


async def paid_case(clients) -> tuple[str, str]:
    """A case with an incident, an assessment, a grant voted with a comment and paid to a
    payee reference; the case closed. Returns (case id, application id)."""
    risk, funds = clients["risk"], clients["funds"]
    fund = await make_fund(funds, countries=("GT",))
    case = (await risk.post("/cases", json=case_body(), headers=ANALYST)).json()
    cid = case["id"]
    assert (
        await risk.post(f"/cases/{cid}/assessments", json=assessment_body(), headers=ANALYST)
    ).status_code == 201
    assert (await risk.post("/incidents", json=incident(case_id=cid), headers=ANALYST)).status_code == 201
    body = {
        "case_id": cid,
        "country": "GT",
        "fund_id": fund["id"],
        "track": "ordinary",
        "lines": [{"purpose": "legal", "amount": 50_000}],
    }

    async def opened():  # funds learns of the case from risk's CaseOpened
        r = await funds.post("/applications", json=body, headers=FUND_ADMIN)
        return r.json() if r.status_code == 201 else None

    app = await eventually(opened, timeout=30)
    assert (await vote(funds, app["id"], "m1", comment=COMMENT)).status_code == 201
    assert (await vote(funds, app["id"], "m2")).json()["outcome"] == "approved"
    pay = {"amount": 20_000, "currency": "USD", "method": "bank_transfer", "payee_reference": PAYEE}
    r = await funds.post(
        f"/applications/{app['id']}/disbursements", json=pay, headers={**FUND_ADMIN, "Idempotency-Key": "k-1"}
    )
    assert r.status_code == 201, r.text
    r = await risk.post(f"/cases/{cid}/close", json={"reason": "risk_resolved"}, headers=ANALYST)
    assert r.status_code == 200, r.text
    return cid, app["id"]


async def totals(clients) -> tuple[dict, dict]:
    grants = await clients["funds"].get("/reports/grants", headers=FUND_ADMIN)
    stats = await clients["risk"].get("/incidents/stats", headers=ANALYST)
    assert grants.status_code == 200 and stats.status_code == 200
    return grants.json(), stats.json()


async def processed(conn: asyncpg.Connection, subject: str) -> int:
    return await conn.fetchval("SELECT count(*) FROM processed_events WHERE subject = $1", subject)


async def funds_erased(conn: asyncpg.Connection, app_id: str) -> bool:
    comments = await conn.fetchval(
        "SELECT count(*) FROM votes WHERE application_id = $1::uuid AND comment_enc IS NOT NULL", app_id
    )
    payees = await conn.fetchval(
        """SELECT count(*) FROM disbursements WHERE application_id = $1::uuid
           AND (payee_reference_enc IS NOT NULL OR payee_erased_at IS NULL)""",
        app_id,
    )
    return comments == 0 and payees == 0


async def test_an_erasure_request_erases_in_risk_shelters_and_funds(stack):
    clients, conns = stack
    cid, app_id = await paid_case(clients)
    assert not await funds_erased(conns["funds"], app_id)
    before = await totals(clients)

    r = await clients["risk"].post(
        f"/cases/{cid}/erasure", json={"reason": "data_subject_request"}, headers=ADMIN
    )
    assert r.status_code == 200, r.text

    async def everywhere():
        return (
            await funds_erased(conns["funds"], app_id)
            and await processed(conns["shelters"], ERASED) == 1
            and await processed(conns["funds"], ERASED) == 1
        )

    await eventually(everywhere, timeout=30)
    # Decisions, amounts, the ledger and the statistics stay.
    assert await totals(clients) == before
    votes = await conns["funds"].fetch(
        "SELECT decision, amount FROM votes WHERE application_id = $1::uuid", app_id
    )
    assert sorted(v["decision"] for v in votes) == ["approve", "approve"]
    response = await conns["funds"].fetchval(
        "SELECT response::text FROM disbursements WHERE application_id = $1::uuid", app_id
    )
    assert "2345" not in response and '"amount": 20000' in response
    # A retry of the paid tranche pays nothing, and says why.
    pay = {"amount": 20_000, "currency": "USD", "method": "bank_transfer", "payee_reference": PAYEE}
    r = await clients["funds"].post(
        f"/applications/{app_id}/disbursements", json=pay, headers={**FUND_ADMIN, "Idempotency-Key": "k-1"}
    )
    assert r.status_code == 409 and r.json()["code"] == "disbursement.payee_erased", r.text


async def test_the_run_blocks_then_erases_and_the_other_services_follow(stack, make_settings):
    clients, conns = stack
    cid, app_id = await paid_case(clients)
    before = await totals(clients)
    pool = await db.create_pool((await make_settings("risk")).dsn("risk"), min_size=1, max_size=2)
    try:
        closed_at = await pool.fetchval("SELECT closed_at FROM cases WHERE id = $1::uuid", cid)
        run = await apply_retention(pool, block_days=365, erase_days=730, now=closed_at + timedelta(days=365))
        assert (run.blocked, run.erased) == (1, 0)

        async def blocked_heard():
            return (
                await processed(conns["shelters"], BLOCKED) == 1
                and await processed(conns["funds"], BLOCKED) == 1
            )

        await eventually(blocked_heard, timeout=30)
        assert not await funds_erased(conns["funds"], app_id)  # blocking erases nothing
        assert await totals(clients) == before

        run = await apply_retention(
            pool, block_days=365, erase_days=730, now=closed_at + timedelta(days=365 + 730)
        )
        assert (run.blocked, run.erased) == (0, 1)
    finally:
        await pool.close()

    async def erased_everywhere():
        return await funds_erased(conns["funds"], app_id) and await processed(conns["shelters"], ERASED) == 1

    await eventually(erased_everywhere, timeout=30)
    assert await totals(clients) == before
