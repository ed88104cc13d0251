"""A wrong deposit is reversed (issue 14): a reversing entry with its reason in the ledger,
the ledger untouched otherwise, refused when already reversed or when the money is
already committed; the note is stored encrypted and never shown."""

from __future__ import annotations

import asyncpg

from services.funds.ciphertexts import NOTE_PURPOSE
from shared.config import with_database
from tests.funds.helpers import ADMIN, assert_problem, make_application, make_fund, member, vote
from tests.support import auth


async def test_a_wrong_deposit_is_reversed_with_its_reason(client):
    fund = await make_fund(client, deposit=100_000)
    r = await client.post(
        f"/funds/{fund['id']}/deposits", json={"amount": 5_000_000, "currency": "USD"}, headers=ADMIN
    )
    wrong = r.json()
    note = "Doña Rosa donó 50.00, no 50,000.00"
    body = {"reason_code": "wrong_amount", "note": note}
    path = f"/funds/{fund['id']}/deposits/{wrong['id']}/reversal"
    assert_problem(await client.post(path, json=body, headers=member("m1")), 403)
    r = await client.post(path, json=body, headers=ADMIN)
    assert r.status_code == 201, r.text
    reversal = r.json()
    assert reversal["deposit_id"] == wrong["id"] and reversal["amount"] == 5_000_000
    assert reversal["reason_code"] == "wrong_amount" and reversal["has_note"] is True
    assert (reversal["balance"], reversal["available"]) == (100_000, 100_000)
    assert note not in r.text
    ledger = (await client.get(f"/funds/{fund['id']}/ledger", headers=member("m1"))).json()
    entries = {e["id"]: e for e in ledger["items"]}
    assert [e["kind"] for e in ledger["items"]] == ["deposit", "deposit", "deposit_reversal"]
    assert entries[wrong["id"]]["reversed_by_id"] == reversal["id"]
    shown = entries[reversal["id"]]
    assert shown["reverses_id"] == wrong["id"] and shown["reason_code"] == "wrong_amount"
    assert shown["has_note"] is True and shown["amount"] == 5_000_000 and note not in str(ledger)
    # Stored encrypted (bound to the note's id), never in clear.
    settings = client.app.state.runtime.settings
    conn = await asyncpg.connect(with_database(settings.database_url, settings.database_name))
    try:
        row = await conn.fetchrow("SELECT id, note_enc FROM ledger_notes WHERE entry_id = $1", reversal["id"])
    finally:
        await conn.close()
    assert b"Rosa" not in row["note_enc"] and row["note_enc"].startswith(b"A1")
    cipher = client.app.state.runtime.cipher
    assert cipher.decrypt_obj(row["note_enc"], str, aad=row["id"].bytes + NOTE_PURPOSE) == note
    # Once only.
    again = assert_problem(await client.post(path, json={"reason_code": "duplicate"}, headers=ADMIN), 409)
    assert again["code"] == "fund.deposit_already_reversed"
    f = (await client.get(f"/funds/{fund['id']}", headers=ADMIN)).json()
    assert (f["deposited"], f["balance"], f["available"]) == (100_000, 100_000, 100_000)


async def test_a_deposit_already_committed_cannot_be_reversed(client):
    fund = await make_fund(client, deposit=100_000, quorum=1, members=("m1",))
    first = (await client.get(f"/funds/{fund['id']}/ledger", headers=ADMIN)).json()["items"][0]
    app = await make_application(client, fund, amount=60_000)
    assert (await vote(client, app["id"], "m1")).json()["outcome"] == "approved"
    path = f"/funds/{fund['id']}/deposits/{first['id']}/reversal"
    refused = assert_problem(
        await client.post(path, json={"reason_code": "not_received"}, headers=ADMIN), 409
    )
    assert refused["code"] == "fund.reversal_exceeds_available"
    assert (refused["available"], refused["needed"], refused["currency"]) == (40_000, 100_000, "USD")
    ledger = (await client.get(f"/funds/{fund['id']}/ledger", headers=ADMIN)).json()
    assert [e["kind"] for e in ledger["items"]] == ["deposit", "commitment"]
    # Not a deposit, another fund's, or no such entry: 404; a bad reason: 400.
    commitment = ledger["items"][1]["id"]
    r = await client.post(
        f"/funds/{fund['id']}/deposits/{commitment}/reversal", json={"reason_code": "other"}, headers=ADMIN
    )
    assert assert_problem(r, 404)["code"] == "fund.deposit_not_found"
    other = await make_fund(client, deposit=10_000)
    r = await client.post(
        f"/funds/{other['id']}/deposits/{first['id']}/reversal", json={"reason_code": "other"}, headers=ADMIN
    )
    assert_problem(r, 404)
    assert_problem(await client.post(path, json={"reason_code": "typo in amount"}, headers=ADMIN), 400)
    assert_problem(await client.post(path, json={}, headers=auth("fund_admin", countries=("CR",))), 400)
