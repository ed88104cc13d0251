"""Bad input on every endpoint answers a clear 4xx problem that never quotes what was sent."""

from __future__ import annotations

import uuid

from tests.funds.helpers import ADMIN, assert_problem, known_case, make_application, make_fund, member, vote
from tests.support import auth

BAD_DISBURSEMENTS = [
    ({"amount": 0, "currency": "USD", "method": "bank_transfer", "payee_reference": "ACC-1234"}, 400),
    ({"amount": -5, "currency": "USD", "method": "bank_transfer", "payee_reference": "ACC-1234"}, 400),
    ({"amount": 10, "currency": "USD", "method": "cheque", "payee_reference": "ACC-1234"}, 400),
    ({"amount": 10, "currency": "USD", "method": "bank_transfer", "payee_reference": "Maria Lopez"}, 400),
    ({"amount": 10, "currency": "USD", "method": "bank_transfer", "payee_reference": "MARIALOPEZ"}, 400),
    ({"amount": 10, "currency": "GTQ", "method": "bank_transfer", "payee_reference": "ACC-1234"}, 422),
    # Any currency but the grant's is refused, whether or not it exists.
    ({"amount": 10, "currency": "XXX", "method": "bank_transfer", "payee_reference": "ACC-1234"}, 422),
    ({"amount": 10, "currency": "usd", "method": "bank_transfer", "payee_reference": "ACC-1234"}, 400),
    (
        {"amount": 10, "currency": "USD", "method": "bank_transfer", "payee_reference": "ACC-1234", "x": 1},
        400,
    ),
]


async def test_bad_input_gives_clear_problems(client):
    fund = await make_fund(client, quorum=1, members=("m1",))
    fid = fund["id"]
    # Funds
    unknown = assert_problem(
        await client.post(
            "/funds", json={"name": "X", "currency": "ABC", "countries": ["GT"]}, headers=ADMIN
        ),
        422,
    )
    assert unknown["code"] == "fund.currency_not_kept" and "USD" in unknown["allowed"]
    assert_problem(
        await client.post(
            "/funds", json={"name": "X", "currency": "usd", "countries": ["GT"]}, headers=ADMIN
        ),
        400,
    )
    assert_problem(
        await client.post("/funds", json={"name": "X", "currency": "USD", "countries": []}, headers=ADMIN),
        400,
    )
    assert_problem(
        await client.post(
            "/funds", json={"name": "X", "currency": "USD", "countries": ["GT"]}, headers=member("m1")
        ),
        403,
    )
    for amount in (0, -100):
        assert_problem(
            await client.post(
                f"/funds/{fid}/deposits", json={"amount": amount, "currency": "USD"}, headers=ADMIN
            ),
            400,
        )
    wrong = assert_problem(
        await client.post(f"/funds/{fid}/deposits", json={"amount": 5, "currency": "EUR"}, headers=ADMIN), 422
    )
    assert "USD" in wrong["detail"]
    assert_problem(
        await client.post(
            f"/funds/{uuid.uuid4()}/deposits", json={"amount": 5, "currency": "USD"}, headers=ADMIN
        ),
        404,
    )
    assert_problem(
        await client.put(
            f"/funds/{fid}/policy", json={"ceiling": 10, "emergency_limit": 20, "quorum": 1}, headers=ADMIN
        ),
        422,
    )
    assert_problem(
        await client.put(
            f"/funds/{fid}/policy", json={"ceiling": 10, "emergency_limit": 5, "quorum": 0}, headers=ADMIN
        ),
        400,
    )
    assert_problem(await client.post(f"/funds/{fid}/members", json={"sub": "has space"}, headers=ADMIN), 400)
    # Applications
    app = await make_application(client, fund, amount=100_000)
    aid = app["id"]
    assert_problem(await vote(client, str(uuid.uuid4()), "m1"), 404)
    assert_problem(await vote(client, aid, "m1", "maybe"), 400)
    assert_problem(await vote(client, aid, "m1", amount=0), 400)
    assert_problem(await vote(client, aid, "m1", amount=-1), 400)
    assert_problem(await vote(client, aid, "m1", "reject", amount=5), 422)
    above = assert_problem(await vote(client, aid, "m1", amount=100_001), 422)
    assert "requested" in above["detail"]
    assert_problem(await vote(client, aid, "stranger"), 403)
    assert_problem(
        await client.post(
            f"/applications/{aid}/votes",
            json={"decision": "approve"},
            headers=auth("fund_committee", sub="m1", countries=("CR",)),
        ),
        404,  # another country's application answers like none
    )
    pay = {"amount": 10, "currency": "USD", "method": "bank_transfer", "payee_reference": "ACC-1234"}
    url = f"/applications/{aid}/disbursements"
    missing = assert_problem(await client.post(url, json=pay, headers=ADMIN), 400)
    assert [(e["field"], e["source"], e["rule"]) for e in missing["errors"]] == [
        ("Idempotency-Key", "header", "required")
    ]
    assert_problem(
        await client.post(url, json=pay, headers={**ADMIN, "Idempotency-Key": "p"}), 409
    )  # not approved
    assert (await vote(client, aid, "m1")).status_code == 201
    for body, status in BAD_DISBURSEMENTS:
        r = await client.post(url, json=body, headers={**ADMIN, "Idempotency-Key": str(uuid.uuid4())})
        problem = assert_problem(r, status)
        assert "Maria" not in problem["detail"]
    assert_problem(
        await client.post(
            f"/applications/{uuid.uuid4()}/disbursements", json=pay, headers={**ADMIN, "Idempotency-Key": "z"}
        ),
        404,
    )
    assert_problem(await client.post(url, json=pay, headers={**member("m1"), "Idempotency-Key": "q"}), 403)
    bad_app = {
        "case_id": await known_case(client, country="GT"),
        "country": "GT",
        "fund_id": fid,
        "lines": [{"purpose": "vacation", "amount": 5}],
    }
    assert_problem(await client.post("/applications", json=bad_app, headers=ADMIN), 400)
    bad_app["lines"] = [{"purpose": "legal", "amount": 0}]
    assert_problem(await client.post("/applications", json=bad_app, headers=ADMIN), 422)
    bad_app["country"] = "CR"
    bad_app["case_id"] = await known_case(client, country="CR")
    bad_app["lines"] = [{"purpose": "legal", "amount": 5}]
    # A fund of other countries answers like no fund: the body names none the caller can see.
    other = assert_problem(
        await client.post("/applications", json=bad_app, headers=auth("fund_admin", countries=("CR",))), 422
    )
    assert (other["code"], other["field"]) == ("fund.unknown", "fund_id") and fid not in str(other)
    bad_app["fund_id"] = str(uuid.uuid4())
    ghost = assert_problem(await client.post("/applications", json=bad_app, headers=ADMIN), 422)
    assert ghost["code"] == "fund.unknown" and bad_app["fund_id"] not in str(ghost)
    assert_problem(await client.get("/applications?status=lost", headers=ADMIN), 400)
    assert_problem(await client.get("/applications?country=PA", headers=ADMIN), 403)
    backwards = await client.get("/reports/grants?from=2026-02-01&to=2026-01-01", headers=ADMIN)
    assert assert_problem(backwards, 422)["code"] == "report.bad_range"
    last_day = await client.get("/reports/grants?from=9999-12-31&to=9999-12-31", headers=ADMIN)
    assert last_day.status_code == 200, last_day.text
    assert (await client.post(f"/applications/{aid}/close", json={}, headers=ADMIN)).status_code == 200
    assert_problem(await client.post(f"/applications/{aid}/close", json={}, headers=ADMIN), 409)
    assert_problem(await client.post(url, json=pay, headers={**ADMIN, "Idempotency-Key": "after-close"}), 409)


async def test_refusals_name_the_rule_never_what_was_sent(client):
    fund = await make_fund(client, quorum=1, members=("m1",), countries=("GT",))
    fid = fund["id"]
    ghost = str(uuid.uuid4())
    missing = assert_problem(await client.get(f"/funds/{ghost}", headers=ADMIN), 404)
    assert ghost not in missing["detail"] and missing["code"] == "fund.not_found"
    policy = {"ceiling": 555_555, "emergency_limit": 777_777}
    above = assert_problem(await client.put(f"/funds/{fid}/policy", json=policy, headers=ADMIN), 422)
    assert "555555" not in above["detail"] and "777777" not in above["detail"]
    policy = {
        "ceiling": 555_555,
        "emergency_limit": 5,
        "suggested": [{"purpose": "legal", "country": "CR", "amount": 5}],
    }
    elsewhere = assert_problem(await client.put(f"/funds/{fid}/policy", json=policy, headers=ADMIN), 422)
    assert "CR" not in elsewhere["detail"] and elsewhere["field"] == "suggested[0]"
    eur = assert_problem(
        await client.post(f"/funds/{fid}/deposits", json={"amount": 5, "currency": "EUR"}, headers=ADMIN), 422
    )
    assert "EUR" not in eur["detail"] and eur["code"] == "fund.currency_mismatch"
    honduras = {
        "case_id": await known_case(client, country="HN"),
        "country": "HN",
        "fund_id": fid,
        "lines": [{"purpose": "legal", "amount": 5}],
    }
    not_served = assert_problem(await client.post("/applications", json=honduras, headers=ADMIN), 422)
    assert fid not in not_served["detail"] and "HN" not in not_served["detail"]

    app = await make_application(client, fund, amount=100_000)
    over = assert_problem(await vote(client, app["id"], "m1", amount=100_001), 422)
    assert "100001" not in over["detail"] and (over["code"], over["requested"]) == (
        "committee.above_requested",
        100_000,
    )
    assert (await vote(client, app["id"], "m1", amount=60_000)).json()["outcome"] == "approved"
    url = f"/applications/{app['id']}/disbursements"
    pay = {"amount": 61_234, "currency": "USD", "method": "bank_transfer", "payee_reference": "ACC-1234"}
    too_much = assert_problem(
        await client.post(url, json=pay, headers={**ADMIN, "Idempotency-Key": "k"}), 409
    )
    assert "61234" not in too_much["detail"] and too_much["remaining"] == 60_000
    long_key = "k" * 201
    bad_key = assert_problem(
        await client.post(url, json=pay, headers={**ADMIN, "Idempotency-Key": long_key}), 400
    )
    assert long_key not in str(bad_key) and [e["field"] for e in bad_key["errors"]] == ["Idempotency-Key"]


async def test_a_fund_name_with_nul_is_refused_by_its_schema(client):
    """PostgreSQL text cannot hold NUL: the document says so (a pattern), so the 400 names
    the field and the rule instead of coming from the database."""
    body = {"name": "Fondo\x00", "currency": "USD", "countries": ["GT"]}
    problem = assert_problem(await client.post("/funds", json=body, headers=ADMIN), 400)
    assert [(e["field"], e["rule"]) for e in problem["errors"]] == [("$.name", "pattern")]
