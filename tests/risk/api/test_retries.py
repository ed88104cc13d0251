"""A client that got no answer sends the same request again with its Idempotency-Key:
one case, one assessment, one incident, whatever happened in between."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from tests.risk.api.test_incidents import incident as incident_body
from tests.risk.helpers import NAME, assert_problem, assessment_body, case_body, extreme_answers, high_answers
from tests.support import auth

ANALYST = auth("risk_analyst", countries=("GT",), sub="ana")
OTHER = auth("risk_analyst", countries=("GT",), sub="bea")


def keyed(headers: dict, key: str) -> dict:
    return {**headers, "Idempotency-Key": key}


async def fetch(settings, sql: str, *args) -> list:
    conn = await asyncpg.connect(settings.dsn("risk"))
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def count(settings, sql: str, *args) -> int:
    return (await fetch(settings, sql, *args))[0][0]


async def test_a_retried_assessment_records_once_and_answers_as_the_first_time(client, settings):
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    key = str(uuid.uuid4())
    body = assessment_body(high_answers())
    first = await client.post(f"/cases/{case['id']}/assessments", json=body, headers=keyed(ANALYST, key))
    again = await client.post(f"/cases/{case['id']}/assessments", json=body, headers=keyed(ANALYST, key))
    assert first.status_code == 201, first.text
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    # One assessment, one event: shelters and funds hold and apply once.
    assert (
        await count(settings, "SELECT count(*) FROM assessments WHERE case_id = $1", uuid.UUID(case["id"]))
        == 1
    )
    assert (
        await count(settings, "SELECT count(*) FROM outbox WHERE subject = 'amparo.risk.assessment.recorded'")
        == 1
    )


async def test_twins_sent_at_once_record_once(client, settings):
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    key = str(uuid.uuid4())
    body = assessment_body(high_answers())
    answers = await asyncio.gather(
        *[
            client.post(f"/cases/{case['id']}/assessments", json=body, headers=keyed(ANALYST, key))
            for _ in range(5)
        ]
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert (
        await count(settings, "SELECT count(*) FROM assessments WHERE case_id = $1", uuid.UUID(case["id"]))
        == 1
    )


async def test_the_same_key_with_another_request_is_refused_and_changes_nothing(client, settings):
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    key = str(uuid.uuid4())
    url = f"/cases/{case['id']}/assessments"
    assert (await client.post(url, json=assessment_body(), headers=keyed(ANALYST, key))).status_code == 201
    other = await client.post(url, json=assessment_body(extreme_answers()), headers=keyed(ANALYST, key))
    problem = assert_problem(other, 422)
    assert problem["code"] == "idempotency.key_reused" and key not in other.text
    assert (
        await count(settings, "SELECT count(*) FROM assessments WHERE case_id = $1", uuid.UUID(case["id"]))
        == 1
    )


async def test_a_key_is_one_persons_and_a_refused_request_stores_nothing(client, settings):
    key = str(uuid.uuid4())
    refused = await client.post("/cases", json=case_body(country="MX"), headers=keyed(ANALYST, key))
    assert refused.status_code in (403, 404)
    # The same key, once the cause is fixed, opens the case.
    opened = await client.post("/cases", json=case_body(), headers=keyed(ANALYST, key))
    assert opened.status_code == 201, opened.text
    # Another analyst's identical key is her own request.
    hers = await client.post("/cases", json=case_body(), headers=keyed(OTHER, key))
    assert hers.status_code == 201 and hers.json()["id"] != opened.json()["id"]
    assert await count(settings, "SELECT count(*) FROM cases") == 2


async def test_a_retried_case_and_incident_are_created_once_and_the_stored_answer_is_encrypted(
    client, settings
):
    key = str(uuid.uuid4())
    a = await client.post("/cases", json=case_body(), headers=keyed(ANALYST, key))
    b = await client.post("/cases", json=case_body(), headers=keyed(ANALYST, key))
    assert (a.status_code, b.status_code) == (201, 200) and a.json() == b.json()
    incident = {**incident_body(), "case_id": a.json()["id"]}
    key = str(uuid.uuid4())
    first = await client.post("/incidents", json=incident, headers=keyed(ANALYST, key))
    again = await client.post("/incidents", json=incident, headers=keyed(ANALYST, key))
    assert (first.status_code, again.status_code) == (201, 200), first.text
    assert first.json()["id"] == again.json()["id"]
    assert await count(settings, "SELECT count(*) FROM incidents") == 1
    # The fingerprint of a body holding her name is not a bare hash anyone could try names on.
    rows = await fetch(settings, "SELECT fingerprint, answer FROM idempotency_keys")
    assert rows and all(
        bytes(r["answer"])[:2] == b"A1" and bytes(r["fingerprint"])[:2] == b"A1" for r in rows
    )
    assert all(NAME.encode() not in bytes(r["answer"]) for r in rows)
