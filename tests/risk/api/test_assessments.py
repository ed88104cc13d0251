"""Assessments over HTTP: scoring, supersession, overrides, 422s; personal data stays
encrypted in the database and out of events and logs."""

from __future__ import annotations

import uuid

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
from tests.support import auth

ANALYST = auth("risk_analyst", countries=("GT",), sub="ana")
ADMIN = auth("admin", sub="root")
SECRETS = (NAME, ORG, PHONE, NOTES)


async def open_case(client, **over) -> dict:
    r = await client.post("/cases", json=case_body(**over), headers=ANALYST)
    assert r.status_code == 201, r.text
    return r.json()


async def test_high_assessment_of_a_mother_with_two_children(client):
    case = await open_case(client)
    r = await client.post(
        f"/cases/{case['id']}/assessments",
        json=assessment_body(high_answers(), excluded_regions=["GT-18"]),
        headers=ANALYST,
    )
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["case_id"] == case["id"] and a["instrument_version"] == "gender-v1"
    assert a["computed_level"] == a["level"] == "high" and a["overridden"] is False
    assert a["measures"] == ["shelter", "relocation_grant", "home_security_grant", "self_care"]
    assert a["excluded_regions"] == ["GT-16", "GT-18"]
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
        await client.post(url, json=assessment_body(instrument_version="gender-v9"), headers=ANALYST), 400
    )
    # The version sent is not repeated (errors never echo input); the known ones are listed.
    assert "gender-v9" not in str(wrong_version)
    assert [(e["field"], e["rule"], e["message"]) for e in wrong_version["errors"]] == [
        ("$.instrument_version", "enum", "must be one of: gender-v1")
    ]

    answers = {**high_answers(), "Q42": True, "T02": 3, "T01": "mucho"}
    assert_problem(await client.post(url, json=assessment_body(answers), headers=ANALYST), 400)

    answers = {**high_answers(), "Q42": True, "T02": 3, "T01": 7}
    del answers["G01"]
    bad = assert_problem(await client.post(url, json=assessment_body(answers), headers=ANALYST), 422)
    assert bad["unknown_count"] == 1 and bad["missing_required"] == ["G01"]
    assert bad["bad_values"] == ["T01 (0 to 3)", "T02 (true or false)"]
    assert bad["code"] == "assessment.answers_do_not_fit" and "gender-v1" not in bad["detail"]
    for code in ("G01", "T01", "T02"):  # the instrument's own codes are named
        assert code in bad["detail"]
    assert "Q42" not in str(bad)  # a code the instrument does not have is the caller's text

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
    assert "closed" in closed["detail"] and closed["code"] == "case.closed"


async def test_assessments_are_scoped_by_country_and_role(client):
    case = await open_case(client)
    url = f"/cases/{case['id']}/assessments"
    honduras = auth("risk_analyst", countries=("HN",))
    # Another country's case answers like no case (404), never 403.
    assert_problem(await client.post(url, json=assessment_body(), headers=honduras), 404)
    assert_problem(await client.get(url, headers=honduras), 404)
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
    assert "gender-v1" in missing["detail"] and "gender-v0" not in str(missing)
    assert_problem(await client.get("/instruments", headers=auth("fund_admin")), 403)
