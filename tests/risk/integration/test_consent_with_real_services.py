"""No automatic hold or grant application without the matching consent, through the real
services and NATS: risk decides from her consents, shelters and funds act only on what
the assessment's event carries, and a revocation stops what has not happened yet."""

from __future__ import annotations

import contextlib

import pytest

from tests.risk.helpers import assessment_body, case_body, consent
from tests.support import auth, eventually, service_client

ANALYST = auth("risk_analyst", countries=("GT",))
COORDINATOR = auth("shelter_coordinator", countries=("GT",))
ADMIN = auth("admin")


@pytest.fixture
async def clients(make_settings):
    async with contextlib.AsyncExitStack() as stack:
        yield {
            name: await stack.enter_async_context(service_client(name, await make_settings(name)))
            for name in ("risk", "shelters", "funds")
        }


async def test_no_hold_without_consent_and_a_revocation_stops_what_is_pending(clients):
    risk, shelters, funds = clients["risk"], clients["shelters"], clients["funds"]
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
    cid = case["id"]

    async def steps():
        return (await risk.get(f"/cases/{cid}/timeline", headers=ANALYST)).json()["steps"]

    def until_step(kind: str):
        async def probe():
            seen = await steps()
            return seen if kind in [s["type"] for s in seen] else None

        return eventually(probe, timeout=30)

    # She shares her case with the funds, not with shelters.
    await consent(risk, cid, "funds", headers=ANALYST)
    first = await risk.post(f"/cases/{cid}/assessments", json=assessment_body(), headers=ANALYST)
    assert first.status_code == 201 and "shelter" in first.json()["measures"], first.text
    assert first.json()["withheld"] == ["no hold requested: no consent to share with shelters"]
    seen = await until_step("amparo.funds.application.opened")
    skipped = next(s for s in seen if s["type"] == "amparo.risk.consent.withheld.shelters")
    assert skipped["summary"] == "no hold requested: no consent to share with shelters"

    # Then she agrees; the next assessment (a party of two, the first had three) holds beds.
    # Shelters reads a case's events in order: had the first assessment asked for beds,
    # this one would have met that placement (reconciled, three people).
    await consent(risk, cid, "shelters", headers=ANALYST)
    party = {"adults": 2, "children_ages": []}
    second = await risk.post(f"/cases/{cid}/assessments", json=assessment_body(party=party), headers=ANALYST)
    assert second.status_code == 201 and second.json()["withheld"] == [], second.text
    seen = await until_step("amparo.shelters.placement.held")
    assert "amparo.shelters.placement.reconciled" not in [s["type"] for s in seen]
    (placement,) = (await shelters.get(f"/placements?case_id={cid}", headers=COORDINATOR)).json()["items"]
    assert placement["party_size"] == 2 and placement["status"] == "held"

    # Revoking stops what has not happened yet: the hold is released, the undecided
    # application withdrawn, each caused by the revocation.
    r = await risk.post(f"/cases/{cid}/consents/shelters/revocation", headers=ANALYST)
    assert r.status_code == 200, r.text
    r = await risk.post(f"/cases/{cid}/consents/funds/revocation", headers=ANALYST)
    assert r.status_code == 200, r.text
    await until_step("amparo.shelters.placement.cancelled")
    seen = await until_step("amparo.funds.application.withdrawn")
    cancelled = next(s for s in seen if s["type"] == "amparo.shelters.placement.cancelled")
    assert "consent_revoked" in cancelled["summary"]
    types = [s["type"] for s in seen]
    assert types.index("amparo.risk.consent.revoked") < types.index("amparo.shelters.placement.cancelled")
    placement = (await shelters.get(f"/placements/{placement['id']}", headers=COORDINATOR)).json()
    assert placement["status"] == "cancelled" and placement["end_reason"] == "consent_revoked"
    # Her undecided applications (one per need: the second assessment may have updated the
    # first's) are all withdrawn.
    applications = (await funds.get(f"/applications?case_id={cid}", headers=ADMIN)).json()["items"]
    assert applications

    async def all_withdrawn():
        seen = [s["type"] for s in await steps()]
        return seen.count("amparo.funds.application.withdrawn") == len(applications)

    await eventually(all_withdrawn, timeout=30)
    applications = (await funds.get(f"/applications?case_id={cid}", headers=ADMIN)).json()["items"]
    assert {a["status"] for a in applications} == {"closed"}
