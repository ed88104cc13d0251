"""Trust boundaries of risk (issue 10, findings 5 and 8): a case outside the caller's
countries answers exactly like a case that does not exist, refused reads of personal
data are audited with the actor, and the audit log cannot be edited."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from shared.config import with_database
from tests.risk.helpers import assert_problem, assessment_body, case_body
from tests.support import auth

GT = auth("risk_analyst", countries=("GT",), sub="ana-gt")
MX = auth("risk_analyst", countries=("MX",), sub="eva-mx")
ADMIN = auth("admin", sub="root")


def same_answer(a, b) -> None:
    """Two answers a caller cannot tell apart: status, headers that matter and body."""
    assert a.status_code == b.status_code, (a.text, b.text)
    assert a.headers["content-type"] == b.headers["content-type"]
    assert a.json() == b.json()


@pytest.mark.parametrize(
    "path",
    ["/cases/{id}", "/cases/{id}/assessments", "/cases/{id}/timeline"],
)
async def test_a_foreign_case_answers_like_no_case(client, path):
    case = (await client.post("/cases", json=case_body(country="MX"), headers=ADMIN)).json()
    foreign = await client.get(path.format(id=case["id"]), headers=GT)
    unknown = await client.get(path.format(id=uuid.uuid4()), headers=GT)
    assert_problem(foreign, 404)
    same_answer(foreign, unknown)
    # Her own analysts still see it.
    assert (await client.get(path.format(id=case["id"]), headers=MX)).status_code == 200


async def test_writes_on_a_foreign_case_answer_like_no_case(client):
    case = (await client.post("/cases", json=case_body(country="MX"), headers=ADMIN)).json()
    for path, body in (
        ("/cases/{id}/assessments", assessment_body()),
        ("/cases/{id}/close", {"reason": "risk_resolved"}),
    ):
        foreign = await client.post(path.format(id=case["id"]), json=body, headers=GT)
        unknown = await client.post(path.format(id=uuid.uuid4()), json=body, headers=GT)
        assert_problem(foreign, 404)
        same_answer(foreign, unknown)


async def test_an_incident_on_a_foreign_case_answers_like_an_unknown_case(client):
    case = (await client.post("/cases", json=case_body(country="MX"), headers=ADMIN)).json()
    body = {
        "occurred_on": "2026-03-14",
        "country": "GT",
        "region": "GT-18",
        "scope": "individual",
        "aggression_types": ["threats"],
        "perpetrator_types": ["companies"],
        "gender_components": False,
    }
    foreign = await client.post("/incidents", json={**body, "case_id": case["id"]}, headers=GT)
    unknown = await client.post("/incidents", json={**body, "case_id": str(uuid.uuid4())}, headers=GT)
    assert_problem(foreign, 422)
    same_answer(foreign, unknown)


async def test_refused_reads_of_personal_data_are_audited_with_the_actor(client):
    case = (await client.post("/cases", json=case_body(country="MX"), headers=ADMIN)).json()
    await client.get(f"/cases/{case['id']}", headers=GT)
    await client.get(f"/cases/{case['id']}/assessments", headers=GT)
    staff = auth("network_staff", countries=("MX",), sub="sam-staff")
    assert_problem(await client.get(f"/cases/{case['id']}", headers=staff), 403)
    assert_problem(await client.get(f"/cases/{case['id']}/assessments", headers=staff), 403)
    await client.get(f"/cases/{case['id']}", headers=MX)
    audit = (await client.get("/audit", params={"case_id": case["id"]}, headers=ADMIN)).json()
    seen = sorted((e["actor"], e["action"]) for e in audit["items"])
    assert seen == [
        ("ana-gt", "assessments.notes.read.denied"),
        ("ana-gt", "case.personal_data.read.denied"),
        ("eva-mx", "case.personal_data.read"),
        ("sam-staff", "assessments.notes.read.denied"),
        ("sam-staff", "case.personal_data.read.denied"),
    ]


async def test_the_audit_log_is_append_only_in_the_database(client, settings):
    case = (await client.post("/cases", json=case_body(), headers=ADMIN)).json()
    await client.get(f"/cases/{case['id']}", headers=GT)
    conn = await asyncpg.connect(with_database(settings.database_url, settings.database_name))
    try:
        for sql in ("UPDATE audit_log SET actor = 'nobody'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(asyncpg.exceptions.RestrictViolationError, match="append-only"):
                await conn.execute(sql)
        assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE actor = 'ana-gt'") == 1
    finally:
        await conn.close()
