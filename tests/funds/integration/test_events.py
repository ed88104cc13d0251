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
        r = await vote(client, app["id"], "m1")
        assert r.status_code == 409 and "no fund" in r.json()["detail"]
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
        first = assessment(case_id=case_id, level="medium", measures=["legal_grant"])
        second = assessment(case_id=case_id, level="medium", measures=["relocation_grant"])
        await publish(js, first)
        await publish(js, second)
        apps = await eventually(lambda: _two(client, case_id))
        decided = next(a for a in apps if a["lines"][0]["purpose"] == "relocation")
        await vote(client, decided["id"], "m1")
        await vote(client, decided["id"], "m2")
        closed = new_event(CaseClosed(reason="risk_ceased"), producer="risk", case_id=case_id)
        await publish(js, closed)

        async def statuses():
            items = await _items_list(client, case_id)
            got = sorted(a["status"] for a in items)
            return got if got == ["approved", "closed"] else None

        await eventually(statuses)
        f = (await client.get(f"/funds/{fund['id']}", headers=ADMIN)).json()
        assert f["committed"] == decided["requested"]


async def _two(client, case_id):
    items = await _items_list(client, case_id)
    return items if len(items) == 2 else None
