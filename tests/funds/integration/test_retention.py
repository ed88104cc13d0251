"""Funds' part of retention (issue 14): erasing a case's vote comments and payee references
touches that case only, keeps every amount, and a second erasure finds nothing left."""

from __future__ import annotations

import asyncpg
import pytest

from services.funds.retention.store import erase_case
from tests.funds.helpers import ADMIN, make_application, make_fund, vote
from tests.support import service_client

PAY = {"amount": 20_000, "currency": "USD", "method": "bank_transfer", "payee_reference": "GT82-0001-2345"}


@pytest.fixture
async def settings(make_settings):
    return await make_settings("funds")


@pytest.fixture
async def client(settings):
    async with service_client("funds", settings) as c:
        yield c


async def paid(client, fund) -> dict:
    app = await make_application(client, fund, amount=50_000)
    assert (await vote(client, app["id"], "m1", comment="la defensora y sus hijas")).status_code == 201
    assert (await vote(client, app["id"], "m2")).json()["outcome"] == "approved"
    r = await client.post(
        f"/applications/{app['id']}/disbursements", json=PAY, headers={**ADMIN, "Idempotency-Key": "k-1"}
    )
    assert r.status_code == 201, r.text
    return app


async def test_erasing_one_case_leaves_the_others_and_every_amount(client, settings):
    fund = await make_fund(client)
    erased, kept = await paid(client, fund), await paid(client, fund)
    report = (await client.get("/reports/grants", headers=ADMIN)).json()
    conn = await asyncpg.connect(settings.dsn("funds"))
    try:
        ledger = await conn.fetchval("SELECT count(*) FROM ledger_entries")
        async with conn.transaction():
            counts = await erase_case(conn, erased["case_id"])
        assert counts == {"vote_comments": 1, "payee_references": 1}
        async with conn.transaction():
            assert await erase_case(conn, erased["case_id"]) == {"vote_comments": 0, "payee_references": 0}

        async def left(app: dict) -> tuple[int, int]:
            comments = await conn.fetchval(
                "SELECT count(*) FROM votes WHERE application_id = $1::uuid AND comment_enc IS NOT NULL",
                app["id"],
            )
            payees = await conn.fetchval(
                "SELECT count(*) FROM disbursements WHERE application_id = $1::uuid AND payee_reference_enc IS NOT NULL",
                app["id"],
            )
            return comments, payees

        assert await left(erased) == (0, 0)
        assert await left(kept) == (1, 1)
        assert await conn.fetchval("SELECT count(*) FROM ledger_entries") == ledger
    finally:
        await conn.close()
    assert (await client.get("/reports/grants", headers=ADMIN)).json() == report
    # The other case's retry is still answered from its stored tranche; the erased one's is refused.
    again = await client.post(
        f"/applications/{kept['id']}/disbursements", json=PAY, headers={**ADMIN, "Idempotency-Key": "k-1"}
    )
    assert again.status_code == 200 and again.json()["payee_reference"] == "****2345", again.text
    refused = await client.post(
        f"/applications/{erased['id']}/disbursements", json=PAY, headers={**ADMIN, "Idempotency-Key": "k-1"}
    )
    assert refused.status_code == 409 and refused.json()["code"] == "disbursement.payee_erased"
