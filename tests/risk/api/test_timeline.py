"""The timeline and the due list over HTTP: who may read them, and what they refuse."""

from __future__ import annotations

import uuid

from tests.risk.helpers import assert_problem, case_body
from tests.support import auth

ANALYST = auth("risk_analyst", countries=("GT",), sub="ana")
STAFF = auth("network_staff", countries=("GT",))


async def test_a_new_case_has_one_step(client):
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    body = (await client.get(f"/cases/{case['id']}/timeline", headers=STAFF)).json()
    assert body["current_step"] == "amparo.risk.case.opened" and body["reassessment_due"] is False
    assert body["status"] == "open" and body["level"] is None
    assert [s["elapsed_seconds"] for s in body["steps"]] == [0]
    assert body["steps"][0]["summary"] == "case opened in GT for a party of 3"


async def test_timeline_and_due_list_refuse_what_they_should(client):
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    assert_problem(await client.get(f"/cases/{uuid.uuid4()}/timeline", headers=STAFF), 404)
    assert_problem(
        await client.get(f"/cases/{case['id']}/timeline", headers=auth("network_staff", countries=("MX",))),
        404,
    )
    assert_problem(await client.get(f"/cases/{case['id']}/timeline", headers=auth("fund_admin")), 403)
    assert_problem(await client.get(f"/cases/{case['id']}/timeline", headers=auth("fund_committee")), 403)
    coordinator = auth("shelter_coordinator", countries=("GT",))
    assert (await client.get(f"/cases/{case['id']}/timeline", headers=coordinator)).status_code == 200
    assert_problem(await client.get("/reassessments/due", headers=STAFF), 403)
    assert_problem(await client.get("/reassessments/due?country=MX", headers=ANALYST), 403)
    assert_problem(await client.get("/reassessments/due?limit=abc", headers=ANALYST), 400)
    assert_problem(await client.get("/cases/123/timeline", headers=ANALYST), 404)
