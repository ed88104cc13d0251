"""Consent per purpose: recorded with her, one standing per purpose, revocable; the
assessment carries the purposes valid at its time and says what is withheld; the
registry's statistics count a case's incidents only with her statistics consent."""

from __future__ import annotations

import uuid

import asyncpg

from shared.events import decode_event
from tests.risk.helpers import NAME, NOTES, ORG, PHONE, assert_problem, assessment_body, case_body, consent
from tests.support import auth

ANALYST = auth("risk_analyst", countries=("GT",), sub="ana")
ELSEWHERE = auth("risk_analyst", countries=("HN",), sub="hana")
STAFF = auth("network_staff", countries=("GT",), sub="staff")


async def open_case(client) -> str:
    r = await client.post("/cases", json=case_body(), headers=ANALYST)
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_give_list_and_revoke_a_consent(client):
    cid = await open_case(client)
    r = await client.post(
        f"/cases/{cid}/consents", json={"purpose": "shelters", "until": "2099-12-31"}, headers=ANALYST
    )
    assert r.status_code == 201, r.text
    given = r.json()
    assert given["purpose"] == "shelters" and given["until"] == "2099-12-31" and given["current"]
    assert given["recorded_by"] == "ana" and given["revoked_at"] is None
    # One standing consent per purpose: a second is a conflict, never a silent duplicate.
    again = await client.post(f"/cases/{cid}/consents", json={"purpose": "shelters"}, headers=ANALYST)
    assert assert_problem(again, 409)["code"] == "consent.already_given"
    await consent(client, cid, "statistics", headers=ANALYST)

    listed = (await client.get(f"/cases/{cid}/consents", headers=ANALYST)).json()
    assert listed["shared_with"] == ["shelters", "statistics"]
    assert {c["purpose"] for c in listed["items"]} == {"shelters", "statistics"}

    r = await client.post(f"/cases/{cid}/consents/shelters/revocation", headers=ANALYST)
    assert r.status_code == 200, r.text
    revoked = r.json()
    assert revoked["revoked_by"] == "ana" and revoked["revoked_at"] and not revoked["current"]
    assert (await client.get(f"/cases/{cid}/consents", headers=ANALYST)).json()["shared_with"] == [
        "statistics"
    ]
    # Nothing standing any more: revoking again is a 404; giving it anew is a new row.
    gone = await client.post(f"/cases/{cid}/consents/shelters/revocation", headers=ANALYST)
    assert assert_problem(gone, 404)["code"] == "consent.not_found"
    await consent(client, cid, "shelters", headers=ANALYST)
    assert len((await client.get(f"/cases/{cid}/consents", headers=ANALYST)).json()["items"]) == 3


async def test_consents_are_the_analysts_and_scoped_by_the_cases_country(client):
    cid = await open_case(client)
    for headers in (ELSEWHERE,):
        assert_problem(await client.get(f"/cases/{cid}/consents", headers=headers), 404)
        assert_problem(
            await client.post(f"/cases/{cid}/consents", json={"purpose": "funds"}, headers=headers), 404
        )
    assert_problem(await client.post(f"/cases/{cid}/consents", json={"purpose": "funds"}, headers=STAFF), 403)
    await client.post(f"/cases/{cid}/close", json={"reason": "risk_resolved"}, headers=ANALYST)
    closed = await client.post(f"/cases/{cid}/consents", json={"purpose": "funds"}, headers=ANALYST)
    assert assert_problem(closed, 409)["code"] == "case.closed"


async def test_the_assessment_says_what_is_withheld_and_the_timeline_why(client):
    cid = await open_case(client)
    await consent(client, cid, "funds", headers=ANALYST)
    r = await client.post(f"/cases/{cid}/assessments", json=assessment_body(), headers=ANALYST)
    assert r.status_code == 201, r.text
    body = r.json()
    assert "shelter" in body["measures"]
    assert body["shared_with"] == ["funds"]
    assert body["withheld"] == ["no hold requested: no consent to share with shelters"]
    history = (await client.get(f"/cases/{cid}/assessments", headers=ANALYST)).json()["items"]
    assert history[0]["withheld"] == body["withheld"]
    case = (await client.get(f"/cases/{cid}", headers=ANALYST)).json()
    assert case["shared_with"] == ["funds"]

    steps = (await client.get(f"/cases/{cid}/timeline", headers=ANALYST)).json()["steps"]
    types = [s["type"] for s in steps]
    assert types == [
        "amparo.risk.case.opened",
        "amparo.risk.consent.given",
        "amparo.risk.assessment.recorded",
        "amparo.risk.consent.withheld.shelters",
    ]
    assert steps[1]["summary"] == "consent given: share with the funds"
    assert steps[3]["summary"] == "no hold requested: no consent to share with shelters"


async def test_events_carry_the_purposes_and_no_personal_data(client, settings):
    cid = await open_case(client)
    await consent(client, cid, "shelters", "funds", headers=ANALYST)
    await client.post(f"/cases/{cid}/assessments", json=assessment_body(), headers=ANALYST)
    await client.post(f"/cases/{cid}/consents/funds/revocation", headers=ANALYST)
    conn = await asyncpg.connect(settings.dsn("risk"))
    try:
        rows = await conn.fetch("SELECT payload FROM outbox ORDER BY created_at")
    finally:
        await conn.close()
    events = [decode_event(bytes(r["payload"])) for r in rows]
    by_type = {}
    for e in events:
        by_type.setdefault(e.type, []).append(e)
    given = by_type["amparo.risk.consent.given"]
    assert [e.data.purpose for e in given] == ["shelters", "funds"]
    assert all(e.case_id == uuid.UUID(cid) for e in given)
    (recorded,) = by_type["amparo.risk.assessment.recorded"]
    assert recorded.data.shared_with == ["shelters", "funds"]
    (revoked,) = by_type["amparo.risk.consent.revoked"]
    assert revoked.data.purpose == "funds" and revoked.causation_id == given[1].id
    for r in rows:
        for secret in (NAME, ORG, PHONE, NOTES):
            assert secret.encode() not in bytes(r["payload"])


def incident(**over) -> dict:
    return {
        "occurred_on": "2026-03-14",
        "country": "GT",
        "region": "GT-18",
        "scope": "individual",
        "aggression_types": ["threats"],
        "perpetrator_types": ["companies"],
        "gender_components": False,
        "gender_component_types": [],
        "close_people_attacked": False,
        **over,
    }


async def test_statistics_count_a_cases_incidents_only_with_her_consent(client):
    counted, uncounted = await open_case(client), await open_case(client)
    await consent(client, counted, "statistics", headers=ANALYST)
    for body in (incident(), incident(case_id=counted), incident(case_id=uncounted)):
        r = await client.post("/incidents", json=body, headers=ANALYST)
        assert r.status_code == 201, r.text

    async def total() -> int:
        return (await client.get("/incidents/stats?country=GT", headers=ANALYST)).json()["total"]

    # The one without a case (the registry's anonymous record) and the consented one.
    assert await total() == 2
    # The registry itself still lists all three to the analyst.
    assert (await client.get("/incidents?country=GT", headers=ANALYST)).json()["total"] == 3
    await client.post(f"/cases/{counted}/consents/statistics/revocation", headers=ANALYST)
    assert await total() == 1


async def test_consents_given_at_intake_commit_with_the_case(client, settings):
    r = await client.post("/cases", json=case_body(consents=["shelters", "funds"]), headers=ANALYST)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    listed = (await client.get(f"/cases/{cid}/consents", headers=ANALYST)).json()
    assert listed["shared_with"] == ["shelters", "funds"]
    assert all(c["recorded_by"] == "ana" and c["until"] is None for c in listed["items"])
    steps = [
        s["summary"] for s in (await client.get(f"/cases/{cid}/timeline", headers=ANALYST)).json()["steps"]
    ]
    assert sum("consent given" in label for label in steps) == 2
    # The assessment acts on them as on consents given afterwards.
    assessed = await client.post(f"/cases/{cid}/assessments", json=assessment_body(), headers=ANALYST)
    assert assessed.json()["shared_with"] == ["shelters", "funds"]
    conn = await asyncpg.connect(settings.dsn("risk"))
    try:
        rows = await conn.fetch(
            "SELECT payload FROM outbox WHERE case_id = $1 ORDER BY case_seq", uuid.UUID(cid)
        )
    finally:
        await conn.close()
    types = [decode_event(bytes(r["payload"])).type for r in rows]
    assert types[:3] == ["amparo.risk.case.opened", "amparo.risk.consent.given", "amparo.risk.consent.given"]


async def test_a_refused_intake_records_neither_the_case_nor_her_consents(client, settings):
    conn = await asyncpg.connect(settings.dsn("risk"))
    try:
        before = (
            await conn.fetchval("SELECT count(*) FROM cases"),
            await conn.fetchval("SELECT count(*) FROM consents"),
        )
        repeated = await client.post("/cases", json=case_body(consents=["funds", "funds"]), headers=ANALYST)
        assert assert_problem(repeated, 422)["code"] == "consent.purpose_repeated"
        unknown = await client.post("/cases", json=case_body(consents=["everything"]), headers=ANALYST)
        assert "everything" not in assert_problem(unknown, 400)["detail"]
        after = (
            await conn.fetchval("SELECT count(*) FROM cases"),
            await conn.fetchval("SELECT count(*) FROM consents"),
        )
    finally:
        await conn.close()
    assert after == before
