"""The registry of attacks: recording incidents and the figures of a regional report."""

from __future__ import annotations

import uuid

import pytest

from tests.risk.helpers import REGION_OF, assert_problem, case_body
from tests.support import auth

ANALYST = auth("risk_analyst", countries=("GT", "HN"), sub="ana")
ADMIN = auth("admin")


def incident(**over) -> dict:
    body = {
        "occurred_on": "2026-03-14",
        "country": "GT",
        "region": "GT-18",
        "scope": "individual",
        "aggression_types": ["threats", "surveillance"],
        "perpetrator_types": ["companies"],
        "gender_components": True,
        "gender_component_types": ["threats_of_sexual_violence"],
        "close_people_attacked": True,
    }
    if "country" in over and "region" not in over:
        over["region"] = REGION_OF.get(over["country"], "GT-18")
    body.update(over)
    return body


async def test_record_and_count(client):
    bodies = [
        incident(),
        incident(occurred_on="2026-03-02", country="HN", aggression_types=["criminalization"], perpetrator_types=["state_agents"], gender_components=False, gender_component_types=[], close_people_attacked=False),
        incident(occurred_on="2026-04-30", aggression_types=["sexual_violence", "physical_assault"], perpetrator_types=["family", "community"], gender_component_types=["sexual_violence", "family_violence"], scope="collective"),
        incident(occurred_on="2025-12-31", gender_components=False, gender_component_types=[], close_people_attacked=False),
    ]  # fmt: skip
    for body in bodies:
        r = await client.post("/incidents", json=body, headers=ANALYST)
        assert r.status_code == 201, r.text
        created = r.json()
        assert created["id"] and created["case_id"] is None and created["case_marked_due"] is False
        assert created["recorded_by"] == "ana"

    everything = (await client.get("/incidents/stats", headers=ANALYST)).json()
    assert everything["total"] == 4 and everything["with_gender_components"] == 2
    assert everything["gender_share_percent"] == 50 and everything["gender_share_basis_points"] == 5000

    s = (await client.get("/incidents/stats?from=2026-01-01&to=2026-12-31", headers=ANALYST)).json()
    assert s["from"] == "2026-01-01" and s["to"] == "2026-12-31" and s["countries"] == ["GT", "HN"]
    assert s["total"] == 3 and s["with_gender_components"] == 2 and s["with_close_people_attacked"] == 2
    assert s["gender_share_percent"] == 67 and s["gender_share_basis_points"] == 6667
    assert s["by_country"] == {"GT": 2, "HN": 1}
    assert s["by_month"] == {"2026-03": 2, "2026-04": 1}
    assert s["by_aggression_type"] == {
        "criminalization": 1,
        "physical_assault": 1,
        "sexual_violence": 1,
        "surveillance": 1,
        "threats": 1,
    }
    assert s["by_perpetrator_type"] == {"community": 1, "companies": 1, "family": 1, "state_agents": 1}
    assert s["by_gender_component"] == {
        "family_violence": 1,
        "sexual_violence": 1,
        "threats_of_sexual_violence": 1,
    }
    assert s["by_scope"] == {"collective": 1, "individual": 2}

    hn = (
        await client.get("/incidents/stats?country=HN", headers=auth("network_staff", countries=("HN",)))
    ).json()
    assert hn["total"] == 1 and hn["gender_share_percent"] == 0
    empty = (await client.get("/incidents/stats?country=GT&from=2030-01-01", headers=ANALYST)).json()
    assert empty["total"] == 0 and empty["gender_share_percent"] == 0 and empty["by_month"] == {}


async def test_incident_on_a_case(client):
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    r = await client.post("/incidents", json=incident(case_id=case["id"]), headers=ANALYST)
    assert r.status_code == 201 and r.json()["case_marked_due"] is True
    await client.post(f"/cases/{case['id']}/close", json={"reason": "other"}, headers=ANALYST)
    r = await client.post("/incidents", json=incident(case_id=case["id"]), headers=ANALYST)
    assert r.status_code == 201 and r.json()["case_marked_due"] is False
    on_case = (await client.get(f"/incidents?case_id={case['id']}", headers=ANALYST)).json()
    assert on_case["total"] == 2
    missing = assert_problem(
        await client.post("/incidents", json=incident(case_id=str(uuid.uuid4())), headers=ANALYST), 422
    )
    assert "case_id" in missing["detail"]


@pytest.mark.parametrize(
    "over",
    [
        {"country": "Guatemala"},
        {"scope": "family"},
        {"aggression_types": []},
        {"aggression_types": ["insults"]},
        {"perpetrator_types": ["aliens"]},
        {"occurred_on": "yesterday"},
        {"gender_components": "yes"},
        {"case_id": "nope"},
        {"description": "she was followed"},
    ],
)
async def test_bad_incidents_are_400(client, over):
    problem = assert_problem(await client.post("/incidents", json=incident(**over), headers=ANALYST), 400)
    assert "she was followed" not in str(problem)


async def test_future_attacks_are_refused(client):
    problem = assert_problem(
        await client.post("/incidents", json=incident(occurred_on="2999-01-01"), headers=ANALYST), 422
    )
    assert "future" in problem["detail"]


async def test_gender_components_must_agree(client):
    body = incident(gender_components=True, gender_component_types=[])
    assert (
        "which" in assert_problem(await client.post("/incidents", json=body, headers=ANALYST), 422)["detail"]
    )
    body = incident(gender_components=False)
    assert_problem(await client.post("/incidents", json=body, headers=ANALYST), 422)


async def test_scoping_and_bad_queries(client):
    assert_problem(await client.post("/incidents", json=incident(country="MX"), headers=ANALYST), 403)
    assert_problem(await client.post("/incidents", json=incident(), headers=auth("network_staff")), 403)
    assert_problem(await client.get("/incidents/stats?country=MX", headers=ANALYST), 403)
    assert_problem(await client.get("/incidents/stats", headers=auth("fund_committee")), 403)
    assert_problem(await client.get("/incidents/stats?from=2026-13-01", headers=ANALYST), 400)
    assert_problem(await client.get("/incidents/stats?to=soon", headers=ANALYST), 400)
    assert_problem(await client.get("/incidents/stats?from=2026-05-01&to=2026-04-01", headers=ANALYST), 422)
    assert_problem(await client.get("/incidents?from=2026-05-01&to=2026-04-01", headers=ANALYST), 422)
    assert_problem(await client.get("/incidents?country=MX", headers=ANALYST), 403)
    assert (await client.get("/incidents/stats?country=MX", headers=ADMIN)).json()["total"] == 0
