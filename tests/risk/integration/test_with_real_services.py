"""The timeline from real events: risk, shelters and funds run together (in-process, each
with its own database, relay and consumers, sharing one NATS), nobody writes timeline rows."""

from __future__ import annotations

import contextlib

import pytest

from tests.risk.helpers import assessment_body, case_body, consent
from tests.support import auth, eventually, service_client

ANALYST = auth("risk_analyst", countries=("GT",))
COORDINATOR = auth("shelter_coordinator", countries=("GT",))


@pytest.fixture
async def clients(make_settings):
    async with contextlib.AsyncExitStack() as stack:
        yield {
            name: await stack.enter_async_context(service_client(name, await make_settings(name)))
            for name in ("risk", "shelters", "funds")
        }


async def test_a_high_case_travels_through_shelters_and_funds_into_the_timeline(clients):
    risk, shelters = clients["risk"], clients["shelters"]
    shelter = await shelters.post(
        "/shelters",
        json={
            "code": "CASA-PETEN",
            "kind": "safe_house",
            "country": "GT",
            "region": "GT-17",
            "address": "a safe address",
            "accepts": ["women", "children", "families"],
            "beds": [{"room": "A", "count": 4}],
        },
        headers=COORDINATOR,
    )
    assert shelter.status_code == 201, shelter.text
    case = (await risk.post("/cases", json=case_body(), headers=ANALYST)).json()
    await consent(risk, case["id"], "shelters", "funds", headers=ANALYST)
    r = await risk.post(f"/cases/{case['id']}/assessments", json=assessment_body(), headers=ANALYST)
    assert r.status_code == 201 and "shelter" in r.json()["measures"], r.text

    async def types():
        body = (await risk.get(f"/cases/{case['id']}/timeline", headers=ANALYST)).json()
        return [s["type"] for s in body["steps"]]

    async def held_and_opened():
        seen = await types()
        return (
            seen
            if {"amparo.shelters.placement.held", "amparo.funds.application.opened"} <= set(seen)
            else None
        )

    await eventually(held_and_opened, timeout=30)
    placements = (await shelters.get(f"/placements?case_id={case['id']}", headers=COORDINATOR)).json()[
        "items"
    ]
    assert len(placements) == 1
    pid = placements[0]["id"]
    for step in ("confirm", "check-in", "check-out"):
        r = await shelters.post(f"/placements/{pid}/{step}", headers=COORDINATOR)
        assert r.status_code == 200, r.text

    async def ended():
        seen = await types()
        return seen if "amparo.shelters.placement.ended" in seen else None

    seen = await eventually(ended, timeout=30)
    assert seen[:4] == [
        "amparo.risk.case.opened",
        "amparo.risk.consent.given",
        "amparo.risk.consent.given",
        "amparo.risk.assessment.recorded",
    ]
    order = [
        t
        for t in seen
        if t.startswith("amparo.shelters.placement.") and t != "amparo.shelters.placement.requested"
    ]
    assert order[-4:] == [
        "amparo.shelters.placement.held",
        "amparo.shelters.placement.confirmed",
        "amparo.shelters.placement.checked_in",
        "amparo.shelters.placement.ended",
    ]
    body = (await risk.get(f"/cases/{case['id']}/timeline", headers=ANALYST)).json()
    held = next(s for s in body["steps"] if s["type"] == "amparo.shelters.placement.held")
    assert "3 beds held" in held["summary"] and held["service"] == "shelters"
    assert body["reassessment_due"] is True
    due = (await risk.get("/reassessments/due", headers=ANALYST)).json()["items"]
    assert [(d["case_id"], d["reasons"]) for d in due] == [(case["id"], ["placement_ended"])]
