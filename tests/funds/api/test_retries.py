"""A resent form or a retried request moves money once: deposits, funds and applications
take an Idempotency-Key like disbursements do."""

from __future__ import annotations

import asyncio
import uuid

from tests.funds.helpers import ADMIN, assert_problem, known_case, make_fund


def keyed(key: str) -> dict:
    return {**ADMIN, "Idempotency-Key": key}


async def test_a_retried_deposit_deposits_once(client):
    fund = await make_fund(client, deposit=0)
    key, body = str(uuid.uuid4()), {"amount": 250_000, "currency": "USD"}
    answers = await asyncio.gather(
        *[client.post(f"/funds/{fund['id']}/deposits", json=body, headers=keyed(key)) for _ in range(4)]
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    after = (await client.get(f"/funds/{fund['id']}", headers=ADMIN)).json()
    assert after["balance"] == 250_000
    ledger = (await client.get(f"/funds/{fund['id']}/ledger", headers=ADMIN)).json()
    assert [e["kind"] for e in ledger["items"]] == ["deposit"]
    # Another amount under the same key is another deposit: refused, not silently merged.
    other = await client.post(
        f"/funds/{fund['id']}/deposits", json={"amount": 25_000, "currency": "USD"}, headers=keyed(key)
    )
    assert assert_problem(other, 422)["code"] == "idempotency.key_reused"
    assert (await client.get(f"/funds/{fund['id']}", headers=ADMIN)).json()["balance"] == 250_000
    # A new key is a new deposit.
    new = await client.post(f"/funds/{fund['id']}/deposits", json=body, headers=keyed(str(uuid.uuid4())))
    assert new.status_code == 201 and new.json()["balance"] == 500_000


async def test_the_same_key_on_another_fund_is_another_request(client):
    a = await make_fund(client, deposit=0)
    b = await make_fund(client, deposit=0)
    key, body = str(uuid.uuid4()), {"amount": 1_000, "currency": "USD"}
    assert (await client.post(f"/funds/{a['id']}/deposits", json=body, headers=keyed(key))).status_code == 201
    assert_problem(await client.post(f"/funds/{b['id']}/deposits", json=body, headers=keyed(key)), 422)


async def test_a_retried_fund_and_application_are_created_once(client):
    key = str(uuid.uuid4())
    body = {"name": "Fondo Mesoamericano", "currency": "USD", "countries": ["GT"]}
    first = await client.post("/funds", json=body, headers=keyed(key))
    again = await client.post("/funds", json=body, headers=keyed(key))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert (await client.get("/funds", headers=ADMIN)).json()["total"] == 1

    fund = await make_fund(client)
    application = {
        "case_id": await known_case(client),
        "country": "GT",
        "fund_id": fund["id"],
        "track": "ordinary",
        "lines": [{"purpose": "relocation", "amount": 100_000}],
    }
    key = str(uuid.uuid4())
    first = await client.post("/applications", json=application, headers=keyed(key))
    again = await client.post("/applications", json=application, headers=keyed(key))
    assert (first.status_code, again.status_code) == (201, 200), first.text
    assert first.json()["id"] == again.json()["id"]
    listed = (await client.get("/applications", headers=ADMIN)).json()
    assert listed["total"] == 1
