"""What the console's committee room reads: a member's inbox (`mine=true`), emergency
approvals waiting for ratification (`ratified=false`), her seat on an application (may
she vote, would her approval alone release money), and the assessment's level, measures
and party size beside an application opened from it (never anything personal)."""

from __future__ import annotations

import uuid

from tests.funds.helpers import ADMIN, make_application, make_fund, member, vote
from tests.funds.integration.test_events import assessment, publish
from tests.support import eventually, service_client


async def _seat(client, app_id: str, sub: str) -> dict:
    r = await client.get(f"/applications/{app_id}/seat", headers=member(sub))
    assert r.status_code == 200, r.text
    return r.json()


async def test_inbox_seat_and_ratification_filter(make_settings):
    settings = await make_settings("funds")
    async with service_client("funds", settings) as client:
        mine = await make_fund(client, members=("m1", "m2", "m3"), emergency_limit=150_000)
        other = await make_fund(client, members=("x1",))
        urgent = await make_application(client, mine, amount=100_000, track="emergency")
        await make_application(client, other)

        page = (await client.get("/applications?mine=true", headers=member("m1"))).json()
        assert [a["id"] for a in page["items"]] == [urgent["id"]] and page["total"] == 1
        page = (await client.get("/applications?mine=false", headers=member("m1"))).json()
        assert urgent["id"] not in [a["id"] for a in page["items"]] and page["total"] == 1
        assert (await client.get("/applications?mine=true", headers=member("nobody"))).json()["total"] == 0

        seat = await _seat(client, urgent["id"], "m1")
        assert seat["member"] and seat["may_vote"] and not seat["recused"] and seat["decision"] is None
        assert seat["alone_approves_up_to"] == 150_000 and seat["emergency_limit"] == 150_000
        assert seat["completes_quorum"] is False and seat["ceiling"] == 800_000
        outsider = await _seat(client, urgent["id"], "x1")
        assert (
            not outsider["member"] and not outsider["may_vote"] and outsider["alone_approves_up_to"] is None
        )
        # The admin who opened it by hand is not a member; a member's recusal shows in her seat.
        r = await client.post(f"/applications/{urgent['id']}/recusals", json={}, headers=member("m3"))
        assert r.status_code == 201, r.text
        recused = await _seat(client, urgent["id"], "m3")
        assert recused["recused"] and not recused["automatic"] and not recused["may_vote"]

        # One approval within the limit approves alone; then it waits for ratification.
        body = (await vote(client, urgent["id"], "m1", amount=90_000)).json()
        assert body["outcome"] == "approved" and body["application"]["ratified"] is False
        waiting = (
            await client.get("/applications?mine=true&status=approved&ratified=false", headers=member("m2"))
        ).json()
        assert [a["id"] for a in waiting["items"]] == [urgent["id"]]
        voted = await _seat(client, urgent["id"], "m1")
        assert voted["decision"] == "approve" and not voted["may_vote"]
        # m2's approval now completes the quorum (2 of the 2 eligible), and is not alone.
        second = await _seat(client, urgent["id"], "m2")
        assert second["may_vote"] and second["completes_quorum"] and second["alone_approves_up_to"] is None
        assert (await vote(client, urgent["id"], "m2")).json()["outcome"] == "ratified"
        ratified = (
            await client.get("/applications?mine=true&status=approved&ratified=false", headers=member("m2"))
        ).json()
        assert ratified["total"] == 0
        r = await client.get(f"/applications/{uuid.uuid4()}/seat", headers=member("m1"))
        assert r.status_code == 404
        r = await client.get(f"/applications/{urgent['id']}/seat", headers=ADMIN)
        assert r.status_code == 200 and r.json()["may_vote"] is False


async def test_an_assessment_tells_the_committee_level_measures_and_party_size(make_settings, clean_streams):
    js = clean_streams
    settings = await make_settings("funds")
    async with service_client("funds", settings) as client:
        fund = await make_fund(client, deposit=2_000_000)
        case_id = uuid.uuid4()
        await publish(js, assessment(case_id=case_id, level="high"))

        async def opened():
            page = (await client.get(f"/applications?case_id={case_id}", headers=member("m1"))).json()
            return page["items"]

        (app,) = await eventually(opened)
        assert app["fund_id"] == fund["id"]
        assert app["assessed"] == {
            "level": "high",
            "measures": ["shelter", "relocation_grant", "home_security_grant", "medical_psychological_grant"],
            "party_size": 3,
        }
        # Nothing personal: the ages of the children, the region, names never reach funds' view.
        assert "children_ages" not in str(app) and "GT-17" not in str(app)
        by_hand = await make_application(client, fund)
        assert by_hand["assessed"] is None


async def test_the_tranches_of_a_grant_are_listed_with_references_masked(make_settings):
    settings = await make_settings("funds")
    async with service_client("funds", settings) as client:
        fund = await make_fund(client, quorum=1, members=("m1",))
        app = await make_application(client, fund, amount=100_000)
        assert (await vote(client, app["id"], "m1")).json()["outcome"] == "approved"
        for i, (amount, ref) in enumerate(((30_000, "GT82-0001-2345"), (20_000, "MM-555-0199"))):
            body = {"amount": amount, "currency": "USD", "method": "bank_transfer", "payee_reference": ref}
            for _ in range(2):  # the same key twice: one tranche
                r = await client.post(
                    f"/applications/{app['id']}/disbursements",
                    json=body,
                    headers={**ADMIN, "Idempotency-Key": f"key-{i}"},
                )
                assert r.status_code in (200, 201), r.text
        r = await client.get(f"/applications/{app['id']}/disbursements", headers=ADMIN)
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["total"] == 2
        assert [(t["tranche"], t["amount"], t["payee_reference"]) for t in page["items"]] == [
            (1, 30_000, "****2345"),
            (2, 20_000, "****0199"),
        ]
        assert "GT82" not in r.text and "MM-555" not in r.text
        # Committee members see the application's totals, not payment details.
        r = await client.get(f"/applications/{app['id']}/disbursements", headers=member("m1"))
        assert r.status_code == 403
        r = await client.get(f"/applications/{uuid.uuid4()}/disbursements", headers=ADMIN)
        assert r.status_code == 404
