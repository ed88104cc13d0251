"""Committee rules over HTTP: quorum, recusal, rejection, information requests, emergency
approval and its ratification, encrypted comments."""

from __future__ import annotations

from tests.funds.helpers import ADMIN, assert_problem, make_application, make_fund, member, vote
from tests.support import eventually, service_client


async def test_quorum_takes_the_lowest_amount_and_closes_the_vote(client):
    fund = await make_fund(client)
    app = await make_application(client, fund, amount=100_000)
    assert (await vote(client, app["id"], "m1", amount=90_000)).json()["outcome"] == "recorded"
    assert_problem(await vote(client, app["id"], "m1", "reject"), 409)  # one vote per member
    body = (await vote(client, app["id"], "m2", amount=70_000)).json()
    assert body["outcome"] == "approved"
    assert body["application"]["approved"] == 70_000 and body["application"]["ratified"] is True
    assert body["application"]["lines"] == [{"purpose": "relocation", "amount": 100_000, "approved": 70_000}]
    late = assert_problem(await vote(client, app["id"], "m3"), 409)
    assert "already approved" in late["detail"]


async def test_recused_member_cannot_vote_and_quorum_counts_only_eligible(client):
    fund = await make_fund(client, quorum=3)
    app = await make_application(client, fund)
    for sub in ("m1", "m2"):
        assert (await vote(client, app["id"], sub)).json()["outcome"] == "recorded"
    r = await client.post(
        f"/applications/{app['id']}/recusals", json={"reason_code": "family_tie"}, headers=member("m3")
    )
    assert r.status_code == 201, r.text
    # Two eligible members, both approved: the quorum is complete with the recusal.
    assert r.json()["application"]["status"] == "approved"
    assert r.json()["application"]["tally"] == {
        "members": 3,
        "recused": 1,
        "eligible": 2,
        "required": 2,
        "approvals": 2,
        "rejections": 0,
        "info_requests": 0,
    }
    other = await make_application(client, fund)
    await client.post(f"/applications/{other['id']}/recusals", json={}, headers=member("m3"))
    body = assert_problem(await vote(client, other["id"], "m3"), 403)
    assert "recused" in body["detail"]
    assert_problem(
        await client.post(f"/applications/{other['id']}/recusals", json={}, headers=member("m3")), 409
    )
    await vote(client, other["id"], "m1")
    assert_problem(
        await client.post(f"/applications/{other['id']}/recusals", json={}, headers=member("m1")), 409
    )


async def test_rejection_when_approval_can_no_longer_reach_quorum(client):
    fund = await make_fund(client, quorum=2)
    app = await make_application(client, fund)
    assert (await vote(client, app["id"], "m1", "reject", comment="no")).json()["outcome"] == "recorded"
    body = (await vote(client, app["id"], "m2", "reject")).json()
    assert body["outcome"] == "rejected" and body["application"]["status"] == "rejected"
    assert_problem(await vote(client, app["id"], "m3"), 409)
    f = (await client.get(f"/funds/{fund['id']}", headers=ADMIN)).json()
    assert f["committed"] == 0


async def test_request_info_then_approval(client):
    fund = await make_fund(client, quorum=2)
    app = await make_application(client, fund)
    body = (await vote(client, app["id"], "m1", "request_info", comment="¿qué cubre?")).json()
    assert body["outcome"] == "info_requested" and body["application"]["status"] == "info_requested"
    assert (await vote(client, app["id"], "m1")).json()["outcome"] == "recorded"
    assert (await vote(client, app["id"], "m2")).json()["outcome"] == "approved"


async def test_approval_the_fund_cannot_cover_is_409_and_writes_nothing(client):
    fund = await make_fund(client, deposit=50_000, quorum=1, members=("m1",))
    app = await make_application(client, fund, amount=100_000)
    body = assert_problem(await vote(client, app["id"], "m1"), 409)
    assert "available" in body["detail"] and body["available"] == 50_000 and body["needed"] == 100_000
    after = (await client.get(f"/applications/{app['id']}", headers=ADMIN)).json()
    assert after["status"] == "pending" and after["tally"]["approvals"] == 0
    await client.post(
        f"/funds/{fund['id']}/deposits", json={"amount": 50_000, "currency": "USD"}, headers=ADMIN
    )
    assert (await vote(client, app["id"], "m1")).json()["outcome"] == "approved"


async def test_emergency_approval_by_one_member_then_ratification(client):
    fund = await make_fund(client, quorum=2, emergency_limit=200_000)
    app = await make_application(client, fund, amount=150_000, track="emergency")
    body = (await vote(client, app["id"], "m1")).json()
    assert body["outcome"] == "approved" and body["emergency"] is True
    assert body["application"]["ratified"] is False and body["application"]["ratification_due_at"]
    assert body["application"]["flagged"] is False
    # It can be paid before ratification: that is the point of the emergency track.
    pay = {"amount": 50_000, "currency": "USD", "method": "mobile_money", "payee_reference": "WALLET-88123"}
    r = await client.post(
        f"/applications/{app['id']}/disbursements", json=pay, headers={**ADMIN, "Idempotency-Key": "e1"}
    )
    assert r.status_code == 201, r.text
    ratified = (await vote(client, app["id"], "m2")).json()
    assert ratified["outcome"] == "ratified" and ratified["application"]["ratified"] is True
    assert_problem(await vote(client, app["id"], "m3"), 409)


async def test_emergency_above_the_limit_is_an_ordinary_vote(client):
    fund = await make_fund(client, quorum=2, emergency_limit=100_000)
    app = await make_application(client, fund, amount=150_000, track="emergency")
    assert (await vote(client, app["id"], "m1")).json()["outcome"] == "recorded"
    assert (await vote(client, app["id"], "m2", amount=100_000)).json()["outcome"] == "approved"


async def test_emergency_not_ratified_in_time_is_flagged(client):
    fund = await make_fund(client, quorum=2, ratification_hours=0.0002)
    app = await make_application(client, fund, amount=100_000, track="emergency")
    assert (await vote(client, app["id"], "m1")).json()["application"]["ratified"] is False

    async def flagged():
        page = (await client.get("/applications?flagged=true", headers=member("m2"))).json()
        return [
            a for a in page["items"] if a["id"] == app["id"] and a["flag_reason"] == "not_ratified_in_time"
        ]

    await eventually(flagged, timeout=10)
    # Refused on ratification: flagged at once.
    other = await make_application(client, fund, amount=100_000, track="emergency")
    await vote(client, other["id"], "m1")
    await vote(client, other["id"], "m2", "reject")
    body = (await vote(client, other["id"], "m3", "reject")).json()
    assert body["outcome"] == "flagged" and body["application"]["flag_reason"] == "ratification_refused"


async def test_comments_are_encrypted_at_rest(make_settings):
    settings = await make_settings("funds")
    async with service_client("funds", settings) as client:
        fund = await make_fund(client)
        app = await make_application(client, fund)
        await vote(client, app["id"], "m1", comment="Sabemos que Rosa vive en Zona 5")
    import asyncpg

    from shared.config import with_database

    conn = await asyncpg.connect(with_database(settings.database_url, settings.database_name))
    try:
        raw = await conn.fetchval("SELECT comment_enc FROM votes")
        outbox = await conn.fetch("SELECT payload FROM outbox")
    finally:
        await conn.close()
    assert b"Rosa" not in raw and raw.startswith(b"A1")
    assert all(b"Rosa" not in bytes(r["payload"]) for r in outbox)
