"""The funds HTTP API on the real stack: a fund, an approved grant paid in a tranche and closed."""

from __future__ import annotations

from tests.funds.helpers import ADMIN, assert_problem, make_application, make_fund, member, vote
from tests.support import auth


async def test_fund_deposit_policy_members_and_totals(client):
    fund = await make_fund(client, deposit=500_000)
    assert fund["currency"] == "USD" and fund["countries"] == ["GT", "HN"]
    assert (fund["balance"], fund["committed"], fund["available"]) == (500_000, 0, 500_000)
    assert fund["members"] == ["m1", "m2", "m3"]
    assert fund["policy"]["quorum"] == 2 and fund["policy"]["ceiling"] == 800_000
    listed = (await client.get("/funds", headers=member("m1"))).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == fund["id"]
    # A committee member of other countries does not see it.
    other = await client.get("/funds", headers=auth("fund_committee", countries=("CR",)))
    assert other.json()["total"] == 0
    assert_problem(
        await client.get(f"/funds/{fund['id']}", headers=auth("fund_admin", countries=("CR",))), 404
    )
    ledger = (await client.get(f"/funds/{fund['id']}/ledger", headers=ADMIN)).json()
    assert [e["kind"] for e in ledger["items"]] == ["deposit"]


async def test_approve_disburse_close_flow(client):
    fund = await make_fund(client, deposit=500_000)
    app = await make_application(client, fund, amount=100_000)
    assert app["status"] == "pending" and app["requested"] == 100_000 and app["tally"]["required"] == 2
    first = await vote(client, app["id"], "m1", amount=90_000, comment="La defensora pidió apoyo urgente")
    assert first.status_code == 201, first.text
    assert first.json()["outcome"] == "recorded"
    second = await vote(client, app["id"], "m2", amount=80_000)
    body = second.json()
    assert body["outcome"] == "approved" and body["application"]["approved"] == 80_000
    assert "comment" not in first.text
    f = (await client.get(f"/funds/{fund['id']}", headers=ADMIN)).json()
    assert (f["balance"], f["committed"], f["available"]) == (500_000, 80_000, 420_000)

    pay = {
        "amount": 30_000,
        "currency": "USD",
        "method": "bank_transfer",
        "payee_reference": "GT82-0001-2345",
    }
    headers = {**ADMIN, "Idempotency-Key": "k-1"}
    r1 = await client.post(f"/applications/{app['id']}/disbursements", json=pay, headers=headers)
    assert r1.status_code == 201, r1.text
    r2 = await client.post(f"/applications/{app['id']}/disbursements", json=pay, headers=headers)
    # The reference is shown in full at the moment of payment only; a replay shows it masked.
    assert r1.json()["payee_reference"] == "GT82-0001-2345"
    assert r2.status_code == 200 and r2.json() == {**r1.json(), "payee_reference": "****2345"}
    assert r2.headers["idempotent-replayed"] == "true"
    assert (
        r1.json()["tranche"] == 1 and r1.json()["paid_total"] == 30_000 and r1.json()["remaining"] == 50_000
    )
    f = (await client.get(f"/funds/{fund['id']}", headers=ADMIN)).json()
    assert (f["balance"], f["committed"], f["available"]) == (470_000, 50_000, 420_000)

    closed = await client.post(f"/applications/{app['id']}/close", headers=ADMIN)
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["released"] == 50_000
    f = (await client.get(f"/funds/{fund['id']}", headers=ADMIN)).json()
    assert (f["balance"], f["committed"], f["available"]) == (470_000, 0, 470_000)
    kinds = [
        e["kind"] for e in (await client.get(f"/funds/{fund['id']}/ledger", headers=ADMIN)).json()["items"]
    ]
    assert kinds == ["deposit", "commitment", "disbursement", "release"]


async def test_openapi_lists_every_route_with_an_operation_id(client):
    schema = (await client.get("/schema/openapi.json")).json()
    ops = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert {
        "createFund",
        "listFunds",
        "getFund",
        "depositIntoFund",
        "putFundPolicy",
        "addFundMember",
        "createApplication",
        "listApplications",
        "getApplication",
        "voteOnApplication",
        "recuseFromApplication",
        "disburseTranche",
        "closeApplication",
        "grantsReport",
        "getFundLedger",
        "assignApplicationFund",
    } <= ops
    for path, item in schema["paths"].items():
        for method, op in item.items():
            assert op.get("tags"), (method, path)
    # Each route says what it does in the domain's words (shown once the OpenAPI config
    # reads handler docstrings).
    for route in (r for r in client.app.routes if not r.path.startswith("/schema")):
        for handler in getattr(route, "route_handlers", []):
            assert (handler.fn.__doc__ or "").strip(), route.path
    params = schema["paths"]["/applications/{application_id}/disbursements"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in params)
