"""Trust boundaries of funds (issue 10, findings 1, 4, 7 and 8): applications by hand only
for a known case of the caller's countries; nobody decides what she opened; payee
references encrypted at rest and masked; foreign objects answer like none."""

from __future__ import annotations

import uuid

import asyncpg

from services.funds.disbursements.legacy import encrypt_payee_references
from shared.config import with_database
from shared.crypto import PiiCipher
from tests.conftest import PII_KEYS
from tests.funds.helpers import (
    ADMIN,
    assert_problem,
    known_case,
    make_application,
    make_fund,
    member,
    vote,
)
from tests.support import auth, service_client

PAY = {"amount": 50_000, "currency": "USD", "method": "mobile_money", "payee_reference": "WALLET-5550-1234"}


def same_answer(a, b) -> None:
    assert a.status_code == b.status_code, (a.text, b.text)
    assert a.headers["content-type"] == b.headers["content-type"]
    assert a.json() == b.json()


def application(case_id, fund, *, country="GT", track="ordinary") -> dict:
    return {
        "case_id": str(case_id),
        "country": country,
        "fund_id": fund["id"],
        "track": track,
        "lines": [{"purpose": "relocation", "amount": 100_000}],
    }


async def test_she_cannot_approve_the_emergency_grant_she_opened(client):
    """Finding 4: a member opens an emergency application (her own fund) and votes approve
    alone: before, approved and payable; now she is recused from it automatically."""
    fund = await make_fund(client, quorum=2, emergency_limit=200_000, members=("m1", "m2", "m3"))
    case_id = await known_case(client, country="GT")
    opened = await client.post(
        "/applications", json=application(case_id, fund, track="emergency"), headers=member("m1")
    )
    assert opened.status_code == 201, opened.text
    app = opened.json()
    assert app["opened_by"] == "m1"
    assert app["tally"]["recused"] == 1 and app["tally"]["eligible"] == 2
    refused = assert_problem(await vote(client, app["id"], "m1", amount=100_000), 403)
    assert refused["code"] == "committee.recused" and refused["automatic"] is True
    again = (await client.get(f"/applications/{app['id']}", headers=ADMIN)).json()
    assert again["status"] == "pending" and again["approved"] is None
    url = f"/applications/{app['id']}/disbursements"
    unpaid = await client.post(url, json=PAY, headers={**ADMIN, "Idempotency-Key": "k"})
    assert assert_problem(unpaid, 409)["code"] == "disbursement.not_approved"
    # Another member may still decide it on the emergency track.
    assert (await vote(client, app["id"], "m2", amount=100_000)).json()["outcome"] == "approved"


async def test_the_admin_who_opens_an_application_is_recused_as_a_member_too(client):
    fund = await make_fund(client, quorum=1, members=("admin-1", "m2"))
    app = await make_application(client, fund)  # opened by fund_admin "admin-1"
    assert app["opened_by"] == "admin-1" and app["tally"]["recused"] == 1
    assert_problem(await vote(client, app["id"], "admin-1"), 403)


async def test_an_application_for_an_unknown_or_foreign_case_is_refused_alike(client):
    fund = await make_fund(client, countries=("GT", "HN"))
    hn_case = await known_case(client, country="HN")
    gt_member = auth("fund_committee", sub="m1", countries=("GT",))
    foreign = await client.post(
        "/applications", json=application(hn_case, fund, country="GT"), headers=gt_member
    )
    unknown = await client.post(
        "/applications", json=application(uuid.uuid4(), fund, country="GT"), headers=gt_member
    )
    body = assert_problem(foreign, 422)
    assert body["code"] == "case.unknown" and hn_case not in body["detail"]
    same_answer(foreign, unknown)
    mismatch = await client.post(
        "/applications", json=application(hn_case, fund, country="GT"), headers=ADMIN
    )
    assert assert_problem(mismatch, 422)["code"] == "case.country_mismatch"
    closed = await known_case(client, country="GT", status="closed")
    refused = await client.post("/applications", json=application(closed, fund), headers=ADMIN)
    assert assert_problem(refused, 409)["code"] == "case.closed"


async def test_foreign_applications_and_funds_answer_like_none(client):
    fund = await make_fund(client, countries=("GT",))
    app = await make_application(client, fund)
    costa_rica = auth("fund_admin", countries=("CR",), sub="cr-admin")
    for path in ("/applications/{id}", "/applications/{id}/close"):
        method = client.get if path.endswith("{id}") else client.post
        foreign = await method(path.format(id=app["id"]), headers=costa_rica)
        unknown = await method(path.format(id=uuid.uuid4()), headers=costa_rica)
        assert_problem(foreign, 404)
        same_answer(foreign, unknown)
    foreign = await client.get(f"/funds/{fund['id']}", headers=costa_rica)
    unknown = await client.get(f"/funds/{uuid.uuid4()}", headers=costa_rica)
    assert_problem(foreign, 404)
    same_answer(foreign, unknown)


async def test_payee_references_are_encrypted_and_masked(make_settings):
    settings = await make_settings("funds")
    async with service_client("funds", settings) as client:
        fund = await make_fund(client, quorum=1, members=("m1",))
        app = await make_application(client, fund)
        await vote(client, app["id"], "m1")
        url = f"/applications/{app['id']}/disbursements"
        paid = await client.post(url, json=PAY, headers={**ADMIN, "Idempotency-Key": "t1"})
        assert paid.status_code == 201 and paid.json()["payee_reference"] == PAY["payee_reference"]
        replay = await client.post(url, json=PAY, headers={**ADMIN, "Idempotency-Key": "t1"})
        assert replay.status_code == 200 and replay.json()["payee_reference"] == "****1234"
        # The same key with another reference is another request.
        other = {**PAY, "payee_reference": "WALLET-5550-9999"}
        reused = await client.post(url, json=other, headers={**ADMIN, "Idempotency-Key": "t1"})
        assert assert_problem(reused, 422)["code"] == "disbursement.key_reused"
    conn = await asyncpg.connect(with_database(settings.database_url, settings.database_name))
    try:
        row = await conn.fetchrow("SELECT * FROM disbursements")
        dump = "\n".join(str(r) for r in await conn.fetch("SELECT * FROM disbursements"))
        outbox = await conn.fetch("SELECT payload FROM outbox")
    finally:
        await conn.close()
    assert "5550" not in dump and row["payee_reference"] is None
    cipher = PiiCipher.from_spec(PII_KEYS)
    assert cipher.decrypt_obj(row["payee_reference_enc"], str, aad=row["id"].bytes) == PAY["payee_reference"]
    assert all(b"5550" not in bytes(r["payload"]) for r in outbox)


async def test_references_stored_in_clear_before_are_encrypted_by_the_job(make_settings):
    settings = await make_settings("funds")
    async with service_client("funds", settings) as client:
        fund = await make_fund(client, quorum=1, members=("m1",))
        app = await make_application(client, fund)
        await vote(client, app["id"], "m1")
        url = f"/applications/{app['id']}/disbursements"
        paid = (await client.post(url, json=PAY, headers={**ADMIN, "Idempotency-Key": "old"})).json()
        runtime = client.app.state.runtime
    # Put the row back as the code before encryption wrote it.
    dsn = with_database(settings.database_url, settings.database_name)
    conn = await asyncpg.connect(dsn)
    try:
        import hashlib
        import json

        body = {k: PAY[k] for k in ("amount", "currency", "method", "payee_reference")}
        await conn.execute(
            """UPDATE disbursements SET payee_reference = $1, payee_reference_enc = NULL,
                      response = $2::jsonb, fingerprint = $3""",
            PAY["payee_reference"],
            json.dumps(paid),
            hashlib.sha256(json.dumps(body, separators=(",", ":")).encode()).hexdigest(),
        )
    finally:
        await conn.close()
    from shared import db

    pool = await db.create_pool(dsn, min_size=1, max_size=2)
    try:
        rt = type("Rt", (), {"pool": pool, "cipher": runtime.cipher})()
        await encrypt_payee_references(rt)
        dump = "\n".join(str(r) for r in await pool.fetch("SELECT * FROM disbursements"))
    finally:
        await pool.close()
    assert "5550" not in dump
    async with service_client("funds", settings) as client:
        replay = await client.post(url, json=PAY, headers={**ADMIN, "Idempotency-Key": "old"})
        assert replay.status_code == 200 and replay.json() == {**paid, "payee_reference": "****1234"}
