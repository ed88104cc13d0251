"""Funds and the other services: applications opened from real AssessmentRecorded
events published to RISK, the events funds emits, overdue deadlines, the report."""

from __future__ import annotations

import uuid

from nats.errors import TimeoutError as NatsTimeout

from services.funds.config import FundsConfig
from shared.events import AssessmentRecorded, CaseClosed, Party, decode_event, encode_event, new_event
from tests.funds.helpers import ADMIN, known_case, make_application, make_fund, member, vote
from tests.support import eventually, service_client


async def funds_events(js, subject: str = "amparo.funds.>") -> list:
    """Everything in the FUNDS stream on ``subject`` so far (a throwaway consumer)."""
    sub = await js.pull_subscribe(subject, stream="FUNDS")
    events = []
    try:
        while True:
            try:
                msgs = await sub.fetch(100, timeout=0.3)
            except (NatsTimeout, TimeoutError):
                break
            for m in msgs:
                events.append(decode_event(m.data))
                await m.ack()
    finally:
        await sub.unsubscribe()
    return events


def assessment(
    *,
    case_id: uuid.UUID,
    country: str = "GT",
    level: str = "extreme",
    measures=None,
    assessment_id=None,
    shared_with=("shelters", "funds"),
):
    return new_event(
        AssessmentRecorded(
            assessment_id=assessment_id or uuid.uuid4(),
            instrument_version="v1",
            computed_level=level,
            level=level,
            scores={"threat": 9},
            measures=measures
            if measures is not None
            else ["shelter", "relocation_grant", "home_security_grant", "medical_psychological_grant"],
            country=country,
            region={"GT": "GT-17", "HN": "HN-CR", "MX": "MX-CHP"}[country],
            party=Party(adults=1, children_ages=[4, 9]),
            excluded_regions=["GT-17"],
            shared_with=list(shared_with),
        ),
        producer="risk",
        case_id=case_id,
    )


async def publish(js, event) -> None:
    await js.publish(event.subject, encode_event(event), headers={"Nats-Msg-Id": str(event.id)})


async def test_assessment_opens_one_emergency_application_with_suggested_amounts(
    make_settings, clean_streams
):
    js = clean_streams
    settings = await make_settings("funds")
    async with service_client("funds", settings) as client:
        poor = await make_fund(client, deposit=10_000, members=("m9",))
        rich = await make_fund(client, deposit=2_000_000)
        case_id = uuid.uuid4()
        event = assessment(case_id=case_id)
        await publish(js, event)

        async def opened():
            page = (await client.get(f"/applications?case_id={case_id}", headers=member("m1"))).json()
            return page["items"]

        (app,) = await eventually(opened)
        assert app["fund_id"] == rich["id"] != poor["id"]
        assert app["track"] == "emergency" and app["status"] == "pending" and app["currency"] == "USD"
        assert app["assessment_id"] == str(event.data.assessment_id)
        # GT has its own relocation amount; the other purposes use the general one.
        assert {(line["purpose"], line["amount"]) for line in app["lines"]} == {
            ("relocation", 120_000),
            ("home_security", 60_000),
            ("medical_psychological", 40_000),
        }
        assert app["requested"] == 220_000
        # Redelivery (a new envelope for the same assessment) opens nothing new.
        again = assessment(case_id=case_id, assessment_id=event.data.assessment_id)
        await publish(js, again)
        # A later low-level assessment of another case opens an ordinary one with no shelter line.
        other = uuid.uuid4()
        await publish(js, assessment(case_id=other, level="medium", measures=["legal_grant", "shelter"]))
        ordinary = await eventually(lambda: _items(client, other))
        assert ordinary["track"] == "ordinary" and [line["purpose"] for line in ordinary["lines"]] == [
            "legal"
        ]
        assert len(await _items_list(client, case_id)) == 1
        # Only shelter: nothing for funds.
        third = uuid.uuid4()
        await publish(js, assessment(case_id=third, measures=["shelter"]))

        async def opened_event():
            evs = [
                e for e in await funds_events(js, "amparo.funds.application.opened") if e.case_id == case_id
            ]
            return evs

        (ev,) = await eventually(opened_event)
        assert ev.causation_id == event.id and ev.correlation_id == event.correlation_id
        assert ev.data.track == "emergency" and ev.data.requested.amount == 220_000
        assert ev.data.requested.currency == "USD" and ev.data.fund_id == uuid.UUID(rich["id"])
        assert await _items_list(client, third) == []


async def _items_list(client, case_id):
    return (await client.get(f"/applications?case_id={case_id}", headers=ADMIN)).json()["items"]


async def _items(client, case_id):
    items = await _items_list(client, case_id)
    return items[0] if items else None


async def test_no_fund_can_cover_it_opens_without_a_fund(make_settings, clean_streams):
    js = clean_streams
    settings = await make_settings("funds")
    async with service_client("funds", settings) as client:
        fund = await make_fund(
            client, deposit=1_000, countries=("HN",), suggested=[{"purpose": "legal", "amount": 30_000}]
        )
        case_id = uuid.uuid4()
        await publish(js, assessment(case_id=case_id, country="HN", measures=["legal_grant"]))
        app = await eventually(lambda: _items(client, case_id))
        assert app["fund_id"] is None and app["requested"] == 30_000 and app["currency"] == "USD"
        # Why no fund took it, with the numbers (issue 14), in the view and in the refusal.
        why = {"reason": "not_enough_available", "available": 1_000, "needed": 30_000, "currency": "USD"}
        assert app["match"] == why
        r = await vote(client, app["id"], "m1")
        assert r.status_code == 409 and r.json()["code"] == "fund.not_enough_available"
        assert {k: r.json()[k] for k in ("available", "needed", "currency")} == {
            k: why[k] for k in ("available", "needed", "currency")
        }
        assert app["track"] == "emergency"
        await client.post(
            f"/funds/{fund['id']}/deposits", json={"amount": 100_000, "currency": "USD"}, headers=ADMIN
        )
        r = await client.post(f"/applications/{app['id']}/fund", json={"fund_id": fund["id"]}, headers=ADMIN)
        assert r.status_code == 200 and r.json()["fund_id"] == fund["id"]
        assert (await vote(client, app["id"], "m1")).json()["outcome"] == "approved"
        assert (await vote(client, app["id"], "m2")).json()["outcome"] == "ratified"


async def test_overdue_listing_and_one_event_per_application(make_settings, clean_streams):
    js = clean_streams
    settings = await make_settings("funds")
    quick = FundsConfig(decision_hours=0.0003, emergency_decision_hours=0.0002)
    async with service_client("funds", settings, quick) as client:
        fund = await make_fund(client)
        first = await make_application(client, fund)
        decided = await make_application(client, fund)
        await vote(client, decided["id"], "m1")
        await vote(client, decided["id"], "m2")

        async def listed(app_id):
            page = (await client.get("/applications?overdue=true", headers=member("m1"))).json()
            return [a for a in page["items"] if a["id"] == app_id]

        (item,) = await eventually(lambda: listed(first["id"]))
        assert item["overdue"] is True and item["status"] == "pending"
        assert not await listed(decided["id"])

        async def overdue_events(app_id):
            evs = await funds_events(js, "amparo.funds.application.overdue")
            return [e for e in evs if e.data.application_id == uuid.UUID(app_id)]

        (ev,) = await eventually(lambda: overdue_events(first["id"]))
        assert ev.data.track == "ordinary"
        # The job keeps running: a later application gets its event, the first no second one.
        second = await make_application(client, fund, track="emergency")
        await eventually(lambda: overdue_events(second["id"]))
        assert len(await overdue_events(first["id"])) == 1
        assert not await overdue_events(decided["id"])
        not_overdue = (await client.get("/applications?overdue=false", headers=ADMIN)).json()["items"]
        assert [a["id"] for a in not_overdue] == [decided["id"]]


async def test_events_of_a_decision_and_payment(make_settings, clean_streams):
    js = clean_streams
    settings = await make_settings("funds")
    async with service_client("funds", settings) as client:
        fund = await make_fund(client)
        app = await make_application(client, fund, amount=100_000)
        await vote(client, app["id"], "m1", "request_info")
        await vote(client, app["id"], "m1")
        await vote(client, app["id"], "m2", amount=90_000)
        pay = {"amount": 40_000, "currency": "USD", "method": "partner_cash", "payee_reference": "ORG-77-A"}
        for key in ("a", "a", "b"):
            await client.post(
                f"/applications/{app['id']}/disbursements",
                json=pay,
                headers={**ADMIN, "Idempotency-Key": key},
            )
        await client.post(
            f"/applications/{app['id']}/close", json={"reason_code": "completed"}, headers=ADMIN
        )
        rejected = await make_application(client, fund)
        await vote(client, rejected["id"], "m1", "reject")
        await vote(client, rejected["id"], "m2", "reject")
        expected = [
            "amparo.funds.application.opened",
            "amparo.funds.application.info_requested",
            "amparo.funds.application.approved",
            "amparo.funds.disbursement.made",
            "amparo.funds.disbursement.made",
            "amparo.funds.application.closed",
        ]

        async def all_events():
            evs = await funds_events(js)
            return evs if len(evs) >= len(expected) + 2 else None

        evs = await eventually(all_events)
        mine = [e for e in evs if e.case_id == uuid.UUID(app["case_id"])]
        assert [e.type for e in mine] == expected
        made = [e.data for e in mine if e.type == "amparo.funds.disbursement.made"]
        assert [(d.tranche, d.amount.amount, d.paid_total.amount) for d in made] == [
            (1, 40_000, 40_000),
            (2, 40_000, 80_000),
        ]
        closed = mine[-1].data
        assert closed.paid.amount == 80_000 and closed.released.amount == 10_000
        assert [e.type for e in evs if e.case_id == uuid.UUID(rejected["case_id"])][
            -1
        ] == "amparo.funds.application.rejected"


async def test_grants_report_by_country_purpose_month(make_settings):
    settings = await make_settings("funds")
    async with service_client("funds", settings) as client:
        usd = await make_fund(client, quorum=1, members=("m1",))
        gtq = await make_fund(client, currency="GTQ", quorum=1, members=("m1",), countries=("GT",))
        for fund, amount in ((usd, 100_000), (usd, 50_000), (gtq, 70_000)):
            r = await client.post(
                "/applications",
                json={
                    "case_id": await known_case(client, country="GT"),
                    "country": "GT",
                    "fund_id": fund["id"],
                    "lines": [
                        {"purpose": "relocation", "amount": amount},
                        {"purpose": "legal", "amount": amount},
                    ],
                },
                headers=ADMIN,
            )
            app = r.json()
            await vote(client, app["id"], "m1")
            pay = {
                "amount": amount,
                "currency": fund["currency"],
                "method": "bank_transfer",
                "payee_reference": "ACC-0001",
            }
            await client.post(
                f"/applications/{app['id']}/disbursements",
                json=pay,
                headers={**ADMIN, "Idempotency-Key": "x"},
            )
        pending = await make_application(client, usd)
        assert pending["status"] == "pending"
        report = (await client.get("/reports/grants?country=GT", headers=member("m1"))).json()
        rows = {(r["currency"], r["purpose"]): (r["granted"], r["paid"]) for r in report["rows"]}
        assert rows == {
            ("USD", "relocation"): (150_000, 75_000),
            ("USD", "legal"): (150_000, 75_000),
            ("GTQ", "relocation"): (70_000, 35_000),
            ("GTQ", "legal"): (70_000, 35_000),
        }
        assert {r["country"] for r in report["rows"]} == {"GT"}
        assert report["to_decision"]["count"] == 3 and report["to_first_payment"]["count"] == 3
        assert 0 <= report["to_decision"]["median_hours"] <= report["to_decision"]["p90_hours"] < 1
        empty = (await client.get("/reports/grants?country=HN", headers=ADMIN)).json()
        assert empty["rows"] == [] and empty["to_decision"] == {
            "count": 0,
            "median_hours": None,
            "p90_hours": None,
        }


async def test_a_closed_case_closes_its_undecided_applications(make_settings, clean_streams):
    js = clean_streams
    settings = await make_settings("funds")
    async with service_client("funds", settings) as client:
        fund = await make_fund(client)
        case_id = uuid.uuid4()
        first = assessment(case_id=case_id, level="medium", measures=["relocation_grant"])
        await publish(js, first)
        decided = await eventually(lambda: _items(client, case_id))
        await vote(client, decided["id"], "m1")
        await vote(client, decided["id"], "m2")
        # A new need after the decision: a follow-up, left undecided.
        second = assessment(case_id=case_id, level="medium", measures=["legal_grant"])
        await publish(js, second)
        await eventually(lambda: _two(client, case_id))
        closed = new_event(CaseClosed(reason="risk_ceased"), producer="risk", case_id=case_id)
        await publish(js, closed)

        async def statuses():
            items = await _items_list(client, case_id)
            got = sorted(a["status"] for a in items)
            return got if got == ["approved", "closed"] else None

        await eventually(statuses)
        f = (await client.get(f"/funds/{fund['id']}", headers=ADMIN)).json()
        assert f["committed"] == decided["requested"]


async def _app_events(js, case_id, type_):
    return [e for e in await funds_events(js, type_) if e.case_id == case_id]


async def test_a_reassessment_updates_the_pending_application_then_follows_up(make_settings, clean_streams):
    """One application per need (issue 14), through the real consumer: a re-assessment
    updates the undecided application (a revision naming the assessment, ApplicationUpdated
    caused by its event); after the decision, only new purposes open a linked follow-up."""
    js = clean_streams
    settings = await make_settings("funds")
    async with service_client("funds", settings) as client:
        await make_fund(client, quorum=2)
        case_id = uuid.uuid4()
        first = assessment(case_id=case_id, level="medium", measures=["legal_grant"])
        await publish(js, first)
        app = await eventually(lambda: _items(client, case_id))
        assert app["track"] == "ordinary" and app["requested"] == 30_000 and app["revision"] == 0
        second = assessment(case_id=case_id, level="extreme", measures=["legal_grant", "relocation_grant"])
        await publish(js, second)

        async def revised():
            items = await _items_list(client, case_id)
            return items if items and items[0]["revision"] == 1 else None

        (updated,) = await eventually(revised)
        assert updated["id"] == app["id"] and updated["track"] == "emergency"
        assert {(line["purpose"], line["amount"]) for line in updated["lines"]} == {
            ("legal", 30_000),
            ("relocation", 120_000),
        }
        assert updated["requested"] == 150_000 and updated["due_at"] <= app["due_at"]
        (rev,) = updated["revisions"]
        assert rev["cause"] == "assessment" and rev["assessment_id"] == str(second.data.assessment_id)
        assert rev["revised_by"] == f"event:{second.id}"
        assert rev["previous"]["requested"] == 30_000 and rev["previous"]["track"] == "ordinary"
        assert rev["current"]["requested"] == 150_000 and rev["current"]["track"] == "emergency"
        (ev,) = await eventually(lambda: _app_events(js, case_id, "amparo.funds.application.updated"))
        assert ev.causation_id == second.id and ev.data.cause == "assessment"
        assert ev.data.application_id == uuid.UUID(app["id"]) and ev.data.requested.amount == 150_000
        # The same assessment again (a replay) changes nothing.
        await publish(
            js, assessment(case_id=case_id, measures=["self_care"], assessment_id=second.data.assessment_id)
        )
        # Decided: a new assessment opens a follow-up for the new purpose only.
        assert (await vote(client, app["id"], "m1")).json()["outcome"] == "approved"
        third = assessment(
            case_id=case_id, level="high", measures=["relocation_grant", "medical_psychological_grant"]
        )
        await publish(js, third)
        follow = await eventually(lambda: _follow_up(client, case_id))
        assert follow["follows_id"] == app["id"] and follow["assessment_id"] == str(third.data.assessment_id)
        assert [(line["purpose"], line["amount"]) for line in follow["lines"]] == [
            ("medical_psychological", 40_000)
        ]
        (fev,) = await eventually(
            lambda: _app_events(js, case_id, "amparo.funds.application.follow_up_opened")
        )
        assert fev.causation_id == third.id and fev.data.follows_id == uuid.UUID(app["id"])
        # Nothing new (everything recommended was covered): nothing opens; the case still has two.
        fourth = assessment(case_id=case_id, level="high", measures=["relocation_grant", "legal_grant"])
        await publish(js, fourth)
        fifth = assessment(case_id=case_id, level="high", measures=["self_care"])
        await publish(js, fifth)  # the follow-up is undecided: it is updated, no third one
        await eventually(lambda: _revised_follow_up(client, case_id))
        items = await _items_list(client, case_id)
        assert len(items) == 2
        assert (await client.get(f"/applications/{app['id']}", headers=ADMIN)).json()["revision"] == 1


async def _follow_up(client, case_id):
    items = [a for a in await _items_list(client, case_id) if a["follows_id"]]
    return items[0] if items else None


async def _revised_follow_up(client, case_id):
    follow = await _follow_up(client, case_id)
    return follow if follow and follow["revision"] == 1 else None


async def test_an_application_waits_for_a_policy_then_is_priced(make_settings, clean_streams):
    """The issue's story: a fund with money and a committee but no policy. The automatic
    application says why it has no fund, a vote is a clear 409; once the policy is set it
    is matched and priced; an approval above the request is a 422; a fund administrator
    re-prices it with a reason."""
    js = clean_streams
    settings = await make_settings("funds")
    async with service_client("funds", settings) as client:
        r = await client.post(
            "/funds", json={"name": "Fondo", "currency": "USD", "countries": ["GT"]}, headers=ADMIN
        )
        fund = r.json()
        assert fund["receives_applications"] is False
        await client.post(
            f"/funds/{fund['id']}/deposits", json={"amount": 500_000, "currency": "USD"}, headers=ADMIN
        )
        for sub in ("m1", "m2", "m3"):
            await client.post(f"/funds/{fund['id']}/members", json={"sub": sub}, headers=ADMIN)
        case_id = uuid.uuid4()
        await publish(
            js, assessment(case_id=case_id, level="medium", measures=["relocation_grant", "legal_grant"])
        )
        app = await eventually(lambda: _items(client, case_id))
        assert app["fund_id"] is None and app["requested"] == 0
        assert app["match"] == {
            "reason": "no_fund_with_policy",
            "available": None,
            "needed": None,
            "currency": None,
        }
        r = await vote(client, app["id"], "m1", amount=150_000)
        assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["code"] == "fund.needs_policy" and "policy" in r.json()["detail"]
        r = await client.post(
            f"/applications/{app['id']}/pricing",
            json={"lines": [{"purpose": "legal", "amount": 10_000}], "reason_code": "quote_received"},
            headers=ADMIN,
        )
        assert r.status_code == 409 and r.json()["code"] == "fund.needs_policy"
        policy = {
            "ceiling": 300_000,
            "emergency_limit": 100_000,
            "quorum": 2,
            "suggested": [
                {"purpose": "relocation", "amount": 120_000},
                {"purpose": "legal", "amount": 30_000},
            ],
        }
        r = await client.put(f"/funds/{fund['id']}/policy", json=policy, headers=ADMIN)
        assert r.status_code == 200 and r.json()["receives_applications"] is True
        # Priced in the policy's transaction: visible at once.
        priced = (await client.get(f"/applications/{app['id']}", headers=ADMIN)).json()
        assert priced["fund_id"] == fund["id"] and priced["match"] is None and priced["requested"] == 150_000
        assert {(line["purpose"], line["amount"]) for line in priced["lines"]} == {
            ("relocation", 120_000),
            ("legal", 30_000),
        }
        (rev,) = priced["revisions"]
        assert (
            rev["cause"] == "policy" and rev["revised_by"] == "admin-1" and rev["previous"]["requested"] == 0
        )
        r = await vote(client, app["id"], "m1", amount=160_000)
        assert r.status_code == 422 and r.json()["code"] == "committee.above_requested"
        assert (await vote(client, app["id"], "m1", amount=100_000)).json()["outcome"] == "recorded"
        # Re-priced by a fund administrator (not below the 100,000 already approved).
        low = {"lines": [{"purpose": "legal", "amount": 50_000}], "reason_code": "quote_received"}
        r = await client.post(f"/applications/{app['id']}/pricing", json=low, headers=ADMIN)
        assert r.status_code == 409 and r.json()["code"] == "pricing.below_approvals"
        body = {
            "lines": [{"purpose": "relocation", "amount": 100_000}, {"purpose": "legal", "amount": 20_000}],
            "reason_code": "quote_received",
        }
        r = await client.post(f"/applications/{app['id']}/pricing", json=body, headers=ADMIN)
        assert r.status_code == 200, r.text
        assert r.json()["requested"] == 120_000 and r.json()["revision"] == 2
        assert r.json()["revisions"][-1]["reason_code"] == "quote_received"
        assert (await vote(client, app["id"], "m2", amount=110_000)).json()["outcome"] == "approved"
        r = await client.post(f"/applications/{app['id']}/pricing", json=body, headers=ADMIN)
        assert r.status_code == 409 and r.json()["code"] == "application.decided"

        async def both_updates():
            evs = await _app_events(js, case_id, "amparo.funds.application.updated")
            return evs if len(evs) == 2 else None

        updates = await eventually(both_updates)
        assert [e.data.cause for e in updates] == ["policy", "pricing"]


async def _two(client, case_id):
    items = await _items_list(client, case_id)
    return items if len(items) == 2 else None
