"""Shelters learns cases from risk's events, and reconciles a new assessment with the
placement a case already has (issue 10, finding 1): never silently dropped."""

from __future__ import annotations

import uuid

from shared.events import CaseClosed, CaseOpened, Party, new_event
from tests.shelters.helpers import create_shelter, placement_body
from tests.shelters.integration.test_events import assessment, placements_of, publish, shelter_events
from tests.support import auth, eventually

MX_STAFF = auth("network_staff", countries=("MX",), sub="mx-staff")


def opened(case_id, country="MX"):
    payload = CaseOpened(
        country=country, region="MX-CHP", line_of_defence="land_and_territory", party=Party()
    )
    return new_event(payload, producer="risk", case_id=case_id)


async def test_a_case_opened_in_risk_can_be_placed_by_its_staff(client, clean_streams):
    js = clean_streams
    await create_shelter(client, country="MX", region="MX-OAX")
    case_id = uuid.uuid4()
    body = placement_body(case_id=case_id, country="MX", region="MX-CHP")
    assert (await client.post("/placements", json=body, headers=MX_STAFF)).status_code == 422
    await publish(js, opened(case_id))

    async def placed():
        r = await client.post("/placements", json=body, headers=MX_STAFF)
        return r if r.status_code == 201 else None

    await eventually(placed)
    await publish(
        js, new_event(CaseClosed(reason="risk_resolved", country="MX"), producer="risk", case_id=case_id)
    )

    async def closed():
        again = await client.post("/placements", json={**body, "case_id": str(case_id)}, headers=MX_STAFF)
        return again.status_code == 409 and again.json()["code"] == "case.closed"

    await eventually(closed)


async def test_a_case_first_met_in_an_older_stream_is_learned_from_its_assessment(client, clean_streams):
    js = clean_streams
    case_id = uuid.uuid4()
    await publish(js, assessment(case_id, country="MX", region="MX-CHP", measures=("legal_grant",)))
    body = placement_body(case_id=case_id, country="MX", region="MX-CHP")

    async def known():
        return (await client.post("/placements", json=body, headers=MX_STAFF)).status_code == 201

    await eventually(known)


async def test_a_new_assessment_meets_a_placement_made_by_staff(client, clean_streams):
    """The squat of finding 1 seen from the other side: a placement by hand holds beds,
    then the analyst records an extreme assessment. The placement is kept, takes the new
    level and is flagged for staff; a PlacementReconciled event tells risk's timeline."""
    js = clean_streams
    await create_shelter(client, country="MX", region="MX-OAX")
    case_id = uuid.uuid4()
    await publish(js, opened(case_id))
    body = placement_body(case_id=case_id, country="MX", region="MX-CHP", level="medium")

    async def placed():
        r = await client.post("/placements", json=body, headers=MX_STAFF)
        return r.json() if r.status_code == 201 else None

    by_hand = await eventually(placed)
    assert by_hand["status"] == "held" and by_hand["review_reason"] is None
    event = assessment(case_id, level="extreme", country="MX", region="MX-CHP", excluded=[])
    await publish(js, event)

    async def reconciled():
        evs = await shelter_events(js)
        return [e for _, e in evs if e.type == "amparo.shelters.placement.reconciled"]

    (rec,) = await eventually(reconciled)
    assert rec.case_id == case_id and rec.causation_id == event.id
    assert rec.data.outcome == "flagged" and rec.data.source == "api" and rec.data.status == "held"
    assert rec.data.placement_id == uuid.UUID(by_hand["id"]) and rec.data.level == "extreme"
    (p,) = await placements_of(client, case_id)
    assert p["id"] == by_hand["id"] and p["level"] == "extreme" and p["review_reason"] == "reassessed"
    # Staff acting on it clears the flag.
    confirmed = await client.post(f"/placements/{p['id']}/confirm", headers=auth("shelter_coordinator"))
    assert confirmed.status_code == 200 and confirmed.json()["review_reason"] is None


async def test_a_new_assessment_updates_a_waiting_request_and_says_so(client, clean_streams):
    js = clean_streams
    case_id = uuid.uuid4()
    await publish(js, opened(case_id))
    body = placement_body(case_id=case_id, country="MX", region="MX-CHP", level="low")

    async def placed():
        r = await client.post("/placements", json=body, headers=MX_STAFF)
        return r.json() if r.status_code == 201 else None

    waiting = await eventually(placed)
    assert waiting["status"] == "requested"
    await publish(js, assessment(case_id, level="high", country="MX", region="MX-CHP", excluded=[]))

    async def reconciled():
        evs = await shelter_events(js)
        return [e for _, e in evs if e.type == "amparo.shelters.placement.reconciled"]

    (rec,) = await eventually(reconciled)
    assert rec.data.outcome == "updated"
    (p,) = await placements_of(client, case_id)
    assert p["level"] == "high" and p["party_size"] == 3
