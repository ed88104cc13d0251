"""Assessments over HTTP: scoring, supersession, overrides, 422s; personal data stays
encrypted in the database and out of events and logs."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from shared.crypto import CipherError, PiiCipher
from shared.events import AssessmentRecorded, CaseOpened, decode_event
from tests.conftest import PII_KEYS
from tests.risk.helpers import (
    NAME,
    NOTES,
    ORG,
    PHONE,
    assert_problem,
    assessment_body,
    case_body,
    extreme_answers,
    high_answers,
    required_answers,
)
from tests.support import auth, eventually, service_client

ANALYST = auth("risk_analyst", countries=("GT",), sub="ana")
ADMIN = auth("admin", sub="root")
SECRETS = (NAME, ORG, PHONE, NOTES)


@pytest.fixture
async def settings(make_settings):
    return await make_settings("risk")


@pytest.fixture
async def client(settings):
    async with service_client("risk", settings) as c:
        yield c


async def open_case(client, **over) -> dict:
    r = await client.post("/cases", json=case_body(**over), headers=ANALYST)
    assert r.status_code == 201, r.text
    return r.json()


async def test_high_assessment_of_a_mother_with_two_children(client):
    case = await open_case(client)
    r = await client.post(
        f"/cases/{case['id']}/assessments",
        json=assessment_body(high_answers(), excluded_regions=["Izabal"]),
        headers=ANALYST,
    )
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["case_id"] == case["id"] and a["instrument_version"] == "gender-v1"
    assert a["computed_level"] == a["level"] == "high" and a["overridden"] is False
    assert a["measures"] == ["shelter", "relocation_grant", "home_security_grant", "self_care"]
    assert a["excluded_regions"] == ["Alta Verapaz", "Izabal"]
    assert a["party"] == {"adults": 1, "children_ages": [4, 9], "accessibility_needs": [], "size": 3}
    assert a["scores"] == {
        "threats": 10,
        "vulnerabilities": 3,
        "capacities": 0,
        "gender": 7,
        "pressure": 20,
        "capacity_reduction_percent": 0,
        "risk": 20,
    }
    assert a["supersedes"] is None and a["superseded_by"] is None
    assert a["notes"] is None  # the create response does not echo notes back
    assert NOTES not in r.text

    listed = (await client.get("/cases?level=high", headers=ANALYST)).json()
    assert listed["total"] == 1 and listed["items"][0]["last_assessment_id"] == a["id"]


async def test_a_new_assessment_supersedes_and_the_history_keeps_both(client):
    case = await open_case(client)
    url = f"/cases/{case['id']}/assessments"
    first = (await client.post(url, json=assessment_body(high_answers()), headers=ANALYST)).json()
    second = (await client.post(url, json=assessment_body(extreme_answers()), headers=ANALYST)).json()
    assert second["supersedes"] == first["id"] and second["level"] == "extreme"
    assert "medical_psychological_grant" in second["measures"] and "legal_grant" in second["measures"]

    history = await client.get(url, headers=ANALYST)
    assert history.status_code == 200, history.text
    items = history.json()["items"]
    assert [i["id"] for i in items] == [second["id"], first["id"]]
    assert items[1]["superseded_by"] == second["id"] and items[0]["superseded_by"] is None
    assert items[0]["notes"] == NOTES
    assert items[1]["answers"] == first["answers"] and items[1]["level"] == "high"  # unchanged
    log = (await client.get(f"/audit?case_id={case['id']}", headers=ADMIN)).json()
    assert [e["action"] for e in log["items"]] == ["assessments.notes.read"]
    case_now = (await client.get("/cases", headers=ANALYST)).json()["items"][0]
    assert case_now["level"] == "extreme" and case_now["last_assessment_id"] == second["id"]


async def test_override_needs_a_reason_and_keeps_both_levels(client):
    case = await open_case(client)
    url = f"/cases/{case['id']}/assessments"
    low = required_answers(False)
    no_reason = assert_problem(
        await client.post(url, json=assessment_body(low, level_override="high"), headers=ANALYST), 422
    )
    assert "override_reason" in no_reason["detail"]
    assert_problem(
        await client.post(
            url, json=assessment_body(low, override_reason="the family is being watched"), headers=ANALYST
        ),
        422,
    )
    r = await client.post(
        url,
        json=assessment_body(
            low, level_override="high", override_reason="the aggressor was seen near her daughters' school"
        ),
        headers=ANALYST,
    )
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["computed_level"] == "low" and a["level"] == "high" and a["overridden"] is True
    assert "shelter" in a["measures"]
    history = (await client.get(url, headers=ANALYST)).json()["items"]
    assert history[0]["override_reason"] == "the aggressor was seen near her daughters' school"


async def test_bad_assessments_name_what_is_wrong(client):
    case = await open_case(client)
    url = f"/cases/{case['id']}/assessments"
    wrong_version = assert_problem(
        await client.post(url, json=assessment_body(instrument_version="gender-v9"), headers=ANALYST), 422
    )
    assert "gender-v9" in wrong_version["detail"] and wrong_version["known_versions"] == ["gender-v1"]

    answers = {**high_answers(), "Q42": True, "T02": 3, "T01": "mucho"}
    assert_problem(await client.post(url, json=assessment_body(answers), headers=ANALYST), 400)

    answers = {**high_answers(), "Q42": True, "T02": 3, "T01": 7}
    del answers["G01"]
    bad = assert_problem(await client.post(url, json=assessment_body(answers), headers=ANALYST), 422)
    assert bad["unknown_codes"] == ["Q42"] and bad["missing_required"] == ["G01"]
    assert bad["bad_values"] == ["T01 (0 to 3)", "T02 (true or false)"]
    for code in ("Q42", "G01", "T01", "T02"):
        assert code in bad["detail"]

    assert_problem(await client.post(url, json={"answers": high_answers()}, headers=ANALYST), 400)
    assert_problem(
        await client.post(
            url, json=assessment_body(level_override="severe", override_reason="x" * 20), headers=ANALYST
        ),
        400,
    )
    assert_problem(
        await client.post(url, json={**assessment_body(), "party": {"adults": 0}}, headers=ANALYST), 400
    )
    assert_problem(
        await client.post(f"/cases/{uuid.uuid4()}/assessments", json=assessment_body(), headers=ANALYST), 404
    )
    assert_problem(await client.get(f"/cases/{uuid.uuid4()}/assessments", headers=ANALYST), 404)
    assert_problem(await client.get(f"{url}?limit=500", headers=ANALYST), 400)
    assert (await client.get(url, headers=ANALYST)).json()["total"] == 0

    await client.post(f"/cases/{case['id']}/close", json={"reason": "relocated"}, headers=ANALYST)
    closed = assert_problem(await client.post(url, json=assessment_body(), headers=ANALYST), 409)
    assert "closed" in closed["detail"]


async def test_assessments_are_scoped_by_country_and_role(client):
    case = await open_case(client)
    url = f"/cases/{case['id']}/assessments"
    honduras = auth("risk_analyst", countries=("HN",))
    assert_problem(await client.post(url, json=assessment_body(), headers=honduras), 403)
    assert_problem(await client.get(url, headers=honduras), 403)
    assert_problem(await client.post(url, json=assessment_body(), headers=auth("network_staff")), 403)


async def test_instruments_are_served_for_forms(client):
    listed = await client.get("/instruments", headers=auth("network_staff"))
    assert listed.status_code == 200
    assert [i["version"] for i in listed.json()] == ["gender-v1"]
    full = (await client.get("/instruments/gender-v1", headers=ANALYST)).json()
    assert full["levels"] == {"medium": 8, "high": 18, "extreme": 32}
    t01 = next(i for i in full["indicators"] if i["code"] == "T01")
    assert t01["group"] == "threats" and t01["answer"] == "scale" and t01["required"] is True
    assert t01["text_es"] and t01["text_en"] and t01["weight"] == 3
    assert {m["kind"] for m in full["measures"]} >= {"shelter", "self_care"}
    missing = assert_problem(await client.get("/instruments/gender-v0", headers=ANALYST), 404)
    assert "gender-v1" in missing["detail"]
    assert_problem(await client.get("/instruments", headers=auth("fund_admin")), 403)


async def test_personal_data_is_ciphertext_in_the_database(client, settings):
    case = await open_case(client)
    await client.post(f"/cases/{case['id']}/assessments", json=assessment_body(), headers=ANALYST)
    conn = await asyncpg.connect(settings.dsn("risk"))
    try:
        personal = await conn.fetchval("SELECT personal FROM cases WHERE id = $1", uuid.UUID(case["id"]))
        private = await conn.fetchval("SELECT private FROM assessments")
        dump = await conn.fetchval(
            "SELECT (SELECT string_agg(c::text, ' ') FROM cases c) || (SELECT string_agg(a::text, ' ') "
            "FROM assessments a) || (SELECT string_agg(t::text, ' ') FROM timeline t)"
        )
        with pytest.raises(asyncpg.CheckViolationError, match="immutable"):
            await conn.execute("UPDATE assessments SET level = 'low'")
    finally:
        await conn.close()
    for blob in (personal, private):
        assert blob[:2] == b"A1"
        for secret in SECRETS:
            assert secret.encode() not in blob
            assert secret not in dump
    cipher = PiiCipher.from_spec(PII_KEYS)
    assert cipher.decrypt_obj(personal, aad=uuid.UUID(case["id"]).bytes)["full_name"] == NAME
    with pytest.raises(CipherError):  # bound to its row: copied elsewhere it does not open
        cipher.decrypt_obj(personal, aad=uuid.uuid4().bytes)


async def test_published_events_carry_no_personal_data(client, clean_streams):
    js = clean_streams
    case = await open_case(client)
    await client.post(f"/cases/{case['id']}/assessments", json=assessment_body(), headers=ANALYST)
    await client.post(f"/cases/{case['id']}/close", json={"reason": "risk_resolved"}, headers=ANALYST)

    async def three():
        return (await js.stream_info("RISK")).state.messages == 3

    await eventually(three)
    raws = [(await js.get_msg("RISK", seq)).data for seq in (1, 2, 3)]
    for raw in raws:
        for secret in SECRETS:
            assert secret.encode() not in raw
    events = [decode_event(raw) for raw in raws]
    assert [e.type for e in events] == [
        CaseOpened.TYPE,
        AssessmentRecorded.TYPE,
        "amparo.risk.case.closed",
    ]
    assert all(str(e.case_id) == case["id"] and e.producer == "risk" for e in events)
    recorded = events[1].data
    assert recorded.level == "high" and recorded.party.size == 3 and recorded.country == "GT"
    assert recorded.excluded_regions == ["Alta Verapaz"] and "shelter" in recorded.measures
    assert events[0].data.party.children_ages == [4, 9]
