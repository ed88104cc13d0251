"""No refusal repeats what the client sent: an id in the path or the body, a code, a
currency, a country, a key, an Idempotency-Key. Any of them may be personal data (a name
typed in the wrong field), and an id repeated back tells nothing the client did not know."""

from __future__ import annotations

import uuid

from tests.funds.helpers import ADMIN, assert_problem, known_case, make_fund, member
from tests.support import auth

TYPED = "Rosa Elena Xol Caal"
QUERY_TYPED = TYPED.replace(" ", "+")


async def test_refusals_never_repeat_an_id_a_code_or_a_key(client):
    ghost = str(uuid.uuid4())
    fund = await make_fund(client, quorum=1, members=("m1",), countries=("GT",))
    application = {
        "case_id": await known_case(client, country="GT"),
        "country": "GT",
        "fund_id": fund["id"],
        "lines": [{"purpose": "legal", "amount": 5}],
    }
    pay = {"amount": 10, "currency": "USD", "method": "bank_transfer", "payee_reference": "ACC-1234"}
    refusals = [
        (await client.get(f"/funds/{ghost}", headers=ADMIN), 404),
        (await client.get(f"/applications/{ghost}", headers=ADMIN), 404),
        (
            await client.post(
                f"/applications/{ghost}/votes", json={"decision": "approve"}, headers=member("m1")
            ),
            404,
        ),
        (
            await client.post(
                f"/applications/{ghost}/disbursements", json=pay, headers={**ADMIN, "Idempotency-Key": TYPED}
            ),
            404,
        ),
        (await client.post("/applications", json={**application, "fund_id": ghost}, headers=ADMIN), 422),
        (await client.post("/applications", json={**application, "case_id": ghost}, headers=ADMIN), 422),
        (await client.post("/applications", json={**application, "track": TYPED}, headers=ADMIN), 400),
        (await client.post("/applications", json={**application, TYPED: 1}, headers=ADMIN), 400),
        (
            await client.post(
                "/funds", json={"name": "F", "currency": TYPED, "countries": ["GT"]}, headers=ADMIN
            ),
            400,
        ),
        (await client.get(f"/reports/grants?from={QUERY_TYPED}", headers=ADMIN), 400),
        (await client.get(f"/applications?status={QUERY_TYPED}", headers=ADMIN), 400),
        (await client.get(f"/applications?country={QUERY_TYPED}", headers=ADMIN), 400),
        (await client.get(f"/applications?fund_id={QUERY_TYPED}", headers=ADMIN), 400),
    ]
    uncovered = assert_problem(
        await client.get("/applications?country=PA", headers=auth("fund_admin", countries=("GT",))), 403
    )
    assert "PA" not in uncovered["detail"] and uncovered["code"] == "auth.country_not_covered"
    for response, status in refusals:
        text = str(assert_problem(response, status))
        for sent in (ghost, uuid.UUID(ghost).hex, TYPED, "Rosa"):
            assert sent not in text, f"{sent!r} echoed in {text}"
