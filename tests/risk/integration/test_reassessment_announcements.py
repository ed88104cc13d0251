"""A case that became due for a new assessment is announced once, as an event and a step
of its timeline, so the console can tell her analysts."""

from __future__ import annotations

import types

import asyncpg

from services.risk.cases.announcements import announce_due
from services.risk.config import RiskConfig
from shared.events import ReassessmentDue, decode_event
from tests.risk.api.test_incidents import incident
from tests.risk.helpers import assessment_body, case_body
from tests.support import auth

ANALYST = auth("risk_analyst", countries=("GT",), sub="ana")


async def test_a_new_incident_makes_the_case_due_and_it_is_announced_once(client, settings):
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    quiet = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    for c in (case, quiet):
        assert (
            await client.post(f"/cases/{c['id']}/assessments", json=assessment_body(), headers=ANALYST)
        ).status_code == 201
    r = await client.post("/incidents", json={**incident(), "case_id": case["id"]}, headers=ANALYST)
    assert r.status_code == 201 and r.json()["case_marked_due"]

    pool = await asyncpg.create_pool(settings.dsn("risk"), min_size=1, max_size=2)
    try:
        rt = types.SimpleNamespace(pool=pool, config=RiskConfig())
        assert await announce_due(rt) == 1
        assert await announce_due(rt) == 0  # once per moment it became due
        rows = await pool.fetch("SELECT payload FROM outbox WHERE subject = $1", ReassessmentDue.TYPE)
    finally:
        await pool.close()
    (event,) = [decode_event(bytes(r["payload"])) for r in rows]
    assert str(event.case_id) == case["id"]
    assert event.data.country == "GT" and event.data.reasons == ["new_incident"]
    timeline = (await client.get(f"/cases/{case['id']}/timeline", headers=ANALYST)).json()
    assert any(s["type"] == ReassessmentDue.TYPE for s in timeline["steps"])

    # A new assessment clears it; the next incident is a new moment, announced again.
    await client.post(f"/cases/{case['id']}/assessments", json=assessment_body(), headers=ANALYST)
    pool = await asyncpg.create_pool(settings.dsn("risk"), min_size=1, max_size=2)
    try:
        rt = types.SimpleNamespace(pool=pool, config=RiskConfig())
        assert await announce_due(rt) == 0
        await client.post("/incidents", json={**incident(), "case_id": case["id"]}, headers=ANALYST)
        assert await announce_due(rt) == 1
    finally:
        await pool.close()
