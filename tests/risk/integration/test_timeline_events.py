"""The timeline and re-assessments, fed by shelters and funds events published to their
streams exactly as those services' outbox relays publish them."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import msgspec
import pytest

from shared.events import (
    ApplicationApproved,
    ApplicationFollowUpOpened,
    ApplicationOpened,
    ApplicationUpdated,
    DisbursementMade,
    GrantLine,
    Money,
    Party,
    PlacementCheckedIn,
    PlacementConfirmed,
    PlacementEnded,
    PlacementHeld,
    PlacementRequested,
    ShelterCompromised,
    decode_event,
    encode_event,
    new_event,
)
from tests.risk.helpers import NAME, assessment_body, case_body, consent, required_answers
from tests.support import auth, eventually

ANALYST = auth("risk_analyst", countries=("GT",), sub="ana")
STAFF = auth("network_staff", countries=("GT",))


async def publish(js, payload, case_id, producer):
    return await send(js, new_event(payload, producer=producer, case_id=case_id))


async def send(js, event):
    ack = await js.publish(event.subject, encode_event(event), headers={"Nats-Msg-Id": str(event.id)})
    assert not ack.duplicate
    return event


# Her consents to share with shelters and the funds come first (two risk steps).
CONSENTED = ["amparo.risk.consent.given", "amparo.risk.consent.given"]


async def open_assessed_case(client, answers=None) -> tuple[dict, dict]:
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    await consent(client, case["id"], "shelters", "funds", headers=ANALYST)
    r = await client.post(f"/cases/{case['id']}/assessments", json=assessment_body(answers), headers=ANALYST)
    assert r.status_code == 201, r.text
    return case, r.json()


async def timeline_with(client, case_id, count: int) -> dict:
    async def probe():
        body = (await client.get(f"/cases/{case_id}/timeline", headers=STAFF)).json()
        return body if len(body["steps"]) >= count else None

    return await eventually(probe)


async def due(client) -> dict[str, list[str]]:
    page = (await client.get("/reassessments/due", headers=ANALYST)).json()
    return {item["case_id"]: item["reasons"] for item in page["items"]}


async def test_the_timeline_follows_the_case_across_services(client, clean_streams):
    js = clean_streams
    case, assessment = await open_assessed_case(client)
    cid = uuid.UUID(case["id"])
    placement, shelter, application = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    party = Party(adults=1, children_ages=[4, 9])
    mxn = lambda n: Money(n, "GTQ")  # noqa: E731
    published = [
        await publish(js, PlacementRequested(placement_id=placement, country="GT", party=party, level="high"), cid, "shelters"),
        await publish(
            js,
            PlacementHeld(
                placement_id=placement, shelter_id=shelter, shelter_code="CASA-3", country="GT", region="GT-17",
                beds=3, hold_expires_at=datetime.now(UTC) + timedelta(hours=4),
            ),
            cid,
            "shelters",
        ),
        await publish(
            js,
            ApplicationOpened(
                application_id=application, fund_id=None, track="emergency", country="GT",
                lines=[GrantLine("relocation_grant", mxn(500000))], requested=mxn(500000),
            ),
            cid,
            "funds",
        ),
        await publish(js, PlacementConfirmed(placement_id=placement, shelter_id=shelter), cid, "shelters"),
        await publish(js, PlacementCheckedIn(placement_id=placement, shelter_id=shelter), cid, "shelters"),
        await publish(js, ApplicationApproved(application_id=application, approved=mxn(450000), track="emergency"), cid, "funds"),
        await publish(
            js,
            DisbursementMade(
                application_id=application, disbursement_id=uuid.uuid4(), amount=mxn(250000), tranche=1,
                paid_total=mxn(250000), method="transfer",
            ),
            cid,
            "funds",
        ),
    ]  # fmt: skip
    # A copy arriving again (outside JetStream's duplicate window) is applied once.
    again = published[1]
    await js.publish(again.subject, encode_event(again), headers={"Nats-Msg-Id": "copy"})

    body = await timeline_with(client, case["id"], 4 + len(published))
    steps = body["steps"]
    assert body["case_id"] == case["id"] and body["status"] == "open" and body["level"] == "high"
    assert [s["type"] for s in steps] == [
        "amparo.risk.case.opened",
        *CONSENTED,
        "amparo.risk.assessment.recorded",
        *[e.type for e in published],
    ]
    assert body["current_step"] == "amparo.funds.disbursement.made"
    assert [s["service"] for s in steps[:5]] == ["risk", "risk", "risk", "risk", "shelters"]
    assert steps[0]["elapsed_seconds"] == 0 and steps[0]["since_previous_seconds"] == 0
    elapsed = [s["elapsed_seconds"] for s in steps]
    assert elapsed == sorted(elapsed)
    for before, after in itertools.pairwise(steps):
        gap = after["elapsed_seconds"] - before["elapsed_seconds"]
        assert after["since_previous_seconds"] == pytest.approx(gap, abs=0.002)
    assert "3 beds held in shelter CASA-3" in steps[5]["summary"]
    assert "level high" in steps[3]["summary"] and "shelter" in steps[3]["summary"]
    assert "2500.00 GTQ" in steps[-1]["summary"]
    assert all(NAME not in s["summary"] for s in steps)
    assert body["reassessment_due"] is False
    assert assessment["id"]

    # Nothing is added twice, however long we wait for stragglers.
    async def settled():
        info = await js.consumer_info("SHELTERS", "risk-shelters")
        return info.num_pending == 0 and info.num_ack_pending == 0

    await eventually(settled)
    again_body = (await client.get(f"/cases/{case['id']}/timeline", headers=STAFF)).json()
    assert len(again_body["steps"]) == 4 + len(published)


async def test_checkout_makes_a_reassessment_due_until_a_new_assessment(client, clean_streams):
    js = clean_streams
    case, _ = await open_assessed_case(client)
    other, _ = await open_assessed_case(client)
    assert await due(client) == {}
    await publish(
        js,
        PlacementEnded(placement_id=uuid.uuid4(), shelter_id=uuid.uuid4()),
        uuid.UUID(case["id"]),
        "shelters",
    )

    async def marked():
        return await due(client) == {case["id"]: ["placement_ended"]}

    await eventually(marked)
    page = (await client.get("/reassessments/due", headers=ANALYST)).json()
    assert page["total"] == 1 and page["items"][0]["level"] == "high" and page["items"][0]["due_since"]
    timeline = (await client.get(f"/cases/{case['id']}/timeline", headers=ANALYST)).json()
    assert timeline["reassessment_due"] is True and timeline["current_step"] == PlacementEnded.TYPE

    r = await client.post(f"/cases/{case['id']}/assessments", json=assessment_body(), headers=ANALYST)
    assert r.status_code == 201
    assert await due(client) == {}
    assert other["id"]


async def test_a_compromised_shelter_marks_every_affected_case(client, clean_streams):
    js = clean_streams
    first, _ = await open_assessed_case(client)
    second, _ = await open_assessed_case(client)
    untouched, _ = await open_assessed_case(client)
    unknown = uuid.uuid4()  # not a case of this service: ignored, and it blocks nothing
    await publish(
        js,
        ShelterCompromised(
            shelter_id=uuid.uuid4(), country="GT", region="GT-17",
            affected_case_ids=[uuid.UUID(first["id"]), unknown, uuid.UUID(second["id"])],
        ),
        None,
        "shelters",
    )  # fmt: skip

    async def marked():
        return await due(client) == {
            first["id"]: ["shelter_compromised"],
            second["id"]: ["shelter_compromised"],
        }

    await eventually(marked)
    for case in (first, second):
        steps = (await client.get(f"/cases/{case['id']}/timeline", headers=STAFF)).json()["steps"]
        assert steps[-1]["type"] == ShelterCompromised.TYPE and steps[-1]["service"] == "shelters"
    steps = (await client.get(f"/cases/{untouched['id']}/timeline", headers=STAFF)).json()["steps"]
    assert len(steps) == 4


async def test_old_high_assessments_and_new_incidents_make_a_case_due(client, settings):
    high, _ = await open_assessed_case(client)
    low, _ = await open_assessed_case(client, required_answers(False))
    fresh = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    # Time travel: both assessments were recorded a day more than reassessment_days ago.
    conn = await asyncpg.connect(settings.dsn("risk"))
    try:
        await conn.execute(
            "UPDATE cases SET last_assessed_at = last_assessed_at - make_interval(days => $1)",
            client.app.state.runtime.config.reassessment_days + 1,
        )
    finally:
        await conn.close()
    assert await due(client) == {high["id"]: ["assessment_aged"]}

    incident = {
        "occurred_on": "2026-11-20",
        "country": "GT",
        "region": "GT-16",
        "scope": "individual",
        "aggression_types": ["threats"],
        "perpetrator_types": ["organized_crime"],
        "gender_components": False,
        "case_id": fresh["id"],
    }
    r = await client.post("/incidents", json=incident, headers=ANALYST)
    assert r.status_code == 201, r.text
    assert r.json()["case_marked_due"] is True
    assert await due(client) == {high["id"]: ["assessment_aged"], fresh["id"]: ["new_incident"]}
    steps = (await client.get(f"/cases/{fresh['id']}/timeline", headers=STAFF)).json()["steps"]
    assert steps[-1]["type"] == "amparo.risk.incident.recorded"

    # Closed cases are never due.
    await client.post(f"/cases/{high['id']}/close", json={"reason": "risk_resolved"}, headers=ANALYST)
    assert await due(client) == {fresh["id"]: ["new_incident"]}
    assert low["id"]


async def test_a_relocation_stamped_before_its_compromise_is_shown_after_it(client, clean_streams):
    """Issue 9's bug: shelters wrote the relocation of each family before the compromise that
    caused it, and stamped the compromise later; the timeline, sorted by time, showed the
    relocation first. Each step keeps its cause, and no step is shown before it."""
    js = clean_streams
    case, _ = await open_assessed_case(client)
    cid = uuid.UUID(case["id"])
    old, new, shelter = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    compromise = new_event(
        ShelterCompromised(shelter_id=shelter, country="GT", region="GT-17", affected_case_ids=[cid]),
        producer="shelters",
        case_id=None,
    )
    before = compromise.occurred_at - timedelta(seconds=2)
    party = Party(adults=1, children_ages=[4, 9])
    requested = new_event(
        PlacementRequested(placement_id=new, country="GT", party=party, level="high"),
        producer="shelters",
        case_id=cid,
        causation=compromise,
    )
    held = new_event(
        PlacementHeld(
            placement_id=new, shelter_id=uuid.uuid4(), shelter_code="CASA-9", country="GT", region="GT-18",
            beds=3, hold_expires_at=compromise.occurred_at + timedelta(hours=4), relocation_of=old,
        ),
        producer="shelters",
        case_id=cid,
        causation=requested,
    )  # fmt: skip
    # Written (and so delivered) before the compromise, and stamped earlier than it.
    await send(js, msgspec.structs.replace(requested, occurred_at=before))
    await send(js, msgspec.structs.replace(held, occurred_at=before + timedelta(milliseconds=5)))
    await send(js, compromise)

    body = await timeline_with(client, case["id"], 7)
    types = [s["type"] for s in body["steps"]]
    assert types == [
        "amparo.risk.case.opened",
        *CONSENTED,
        "amparo.risk.assessment.recorded",
        ShelterCompromised.TYPE,
        PlacementRequested.TYPE,
        PlacementHeld.TYPE,
    ]
    assert body["current_step"] == PlacementHeld.TYPE
    steps = body["steps"]
    # The stamps are shown as the producer wrote them; no step took negative time.
    assert steps[5]["occurred_at"] < steps[4]["occurred_at"]
    assert all(s["since_previous_seconds"] >= 0 for s in steps)
    assert body["reassessment_due"] is True


async def test_a_reassessment_comes_after_the_assessment_it_supersedes(client, settings):
    """Risk's own steps name their cause too: with the clock of the second assessment set
    back, it still follows the first."""
    case, first = await open_assessed_case(client)
    second = (
        await client.post(f"/cases/{case['id']}/assessments", json=assessment_body(), headers=ANALYST)
    ).json()
    conn = await asyncpg.connect(settings.dsn("risk"))
    try:
        await conn.execute(
            "UPDATE timeline SET occurred_at = occurred_at - interval '1 hour' WHERE step_id = "
            "(SELECT event_id FROM assessments WHERE id = $1)",
            uuid.UUID(second["id"]),
        )
    finally:
        await conn.close()
    steps = (await client.get(f"/cases/{case['id']}/timeline", headers=STAFF)).json()["steps"]
    assert [s["type"] for s in steps] == [
        "amparo.risk.case.opened",
        *CONSENTED,
        "amparo.risk.assessment.recorded",
        "amparo.risk.assessment.recorded",
    ]
    assert steps[3]["occurred_at"] > steps[4]["occurred_at"] and first["id"] != second["id"]


async def test_the_timeline_links_an_updated_application_and_its_follow_up(client, clean_streams, settings):
    """Issue 14: funds updates the pending application on a re-assessment and later opens a
    follow-up; both name the assessment event as their cause, and the timeline shows them
    after it (even stamped before it), with the link to the followed application."""
    js = clean_streams
    case, _ = await open_assessed_case(client)
    second = await client.post(f"/cases/{case['id']}/assessments", json=assessment_body(), headers=ANALYST)
    assert second.status_code == 201, second.text
    conn = await asyncpg.connect(settings.dsn("risk"))
    try:
        rows = await conn.fetch(
            "SELECT payload FROM outbox WHERE subject = 'amparo.risk.assessment.recorded' ORDER BY created_at"
        )
    finally:
        await conn.close()
    cause = [e for e in (decode_event(bytes(r["payload"])) for r in rows) if str(e.case_id) == case["id"]][-1]
    cid, app_id = uuid.UUID(case["id"]), uuid.uuid4()
    lines = [GrantLine("relocation", Money(120_000, "USD"))]
    updated = new_event(
        ApplicationUpdated(
            application_id=app_id, revision=1, cause="assessment", fund_id=None, track="emergency",
            lines=lines, requested=Money(120_000, "USD"), assessment_id=cause.data.assessment_id,
        ),
        producer="funds",
        case_id=cid,
        causation=cause,
    )  # fmt: skip
    follow = new_event(
        ApplicationFollowUpOpened(
            application_id=uuid.uuid4(), follows_id=app_id, assessment_id=cause.data.assessment_id,
            fund_id=None, track="emergency", country="GT", lines=lines, requested=Money(120_000, "USD"),
        ),
        producer="funds",
        case_id=cid,
        causation=cause,
    )  # fmt: skip
    early = cause.occurred_at - timedelta(seconds=5)
    await send(js, msgspec.structs.replace(updated, occurred_at=early))
    await send(js, follow)
    body = await timeline_with(client, case["id"], 7)
    steps = body["steps"]
    assert [s["type"] for s in steps[4:]] == [
        "amparo.risk.assessment.recorded",
        ApplicationUpdated.TYPE,
        ApplicationFollowUpOpened.TYPE,
    ]
    assert steps[5]["summary"] == "grant application updated (by the new assessment): emergency, 1200.00 USD"
    assert steps[6]["summary"].endswith(f"follows {app_id}")
