"""Cases: intake, lists, the audited read, closing; roles and country scoping."""

from __future__ import annotations

import uuid

import pytest

from tests.risk.helpers import NAME, NOTES, ORG, PHONE, assert_problem, case_body
from tests.support import auth

ANALYST = auth("risk_analyst", countries=("GT", "HN"), sub="ana")
ADMIN = auth("admin", sub="root")


async def test_open_case_returns_no_personal_data_and_the_read_is_audited(client):
    created = await client.post("/cases", json=case_body(), headers=ANALYST)
    assert created.status_code == 201, created.text
    case = created.json()
    assert set(case) >= {"id", "country", "region", "party", "status", "level", "opened_at"}
    assert case["status"] == "open" and case["level"] is None and case["opened_by"] == "ana"
    assert case["party"] == {"adults": 1, "children_ages": [4, 9], "accessibility_needs": [], "size": 3}
    for secret in (NAME, ORG, PHONE, NOTES):
        assert secret not in created.text

    listed = await client.get("/cases", headers=ANALYST)
    assert listed.json()["total"] == 1 and NAME not in listed.text

    detail = await client.get(f"/cases/{case['id']}", headers=ANALYST)
    assert detail.status_code == 200, detail.text
    assert detail.json()["personal"] == {
        "full_name": NAME,
        "organization": ORG,
        "contacts": [PHONE],
        "notes": NOTES,
    }

    log = (await client.get("/audit", headers=ADMIN)).json()
    assert log["total"] == 1
    entry = log["items"][0]
    assert entry["actor"] == "ana" and entry["case_id"] == case["id"]
    assert entry["action"] == "case.personal_data.read" and entry["at"]
    by_case = await client.get(f"/audit?case_id={case['id']}&actor=ana", headers=ADMIN)
    assert by_case.json()["total"] == 1


async def test_one_contact_string_is_kept_as_a_list(client):
    body = case_body()
    body["personal"]["contacts"] = PHONE
    case = (await client.post("/cases", json=body, headers=ANALYST)).json()
    detail = (await client.get(f"/cases/{case['id']}", headers=ANALYST)).json()
    assert detail["personal"]["contacts"] == [PHONE]


async def test_lists_filter_and_scope_by_country(client):
    for country in ("GT", "GT", "HN", "MX"):
        r = await client.post("/cases", json=case_body(country=country), headers=ADMIN)
        assert r.status_code == 201
    mine = (await client.get("/cases", headers=ANALYST)).json()
    assert mine["total"] == 3 and {c["country"] for c in mine["items"]} == {"GT", "HN"}
    assert (await client.get("/cases?country=GT&limit=1", headers=ANALYST)).json() == {
        **(await client.get("/cases?country=GT&limit=1", headers=ANALYST)).json(),
        "total": 2,
        "limit": 1,
        "offset": 0,
    }
    assert (await client.get("/cases?status=closed", headers=ANALYST)).json()["total"] == 0
    assert (await client.get("/cases?level=high", headers=ANALYST)).json()["total"] == 0
    assert (await client.get("/cases", headers=ADMIN)).json()["total"] == 4
    assert_problem(await client.get("/cases?country=MX", headers=ANALYST), 403)

    mx = (await client.get("/cases?country=MX", headers=ADMIN)).json()["items"][0]
    # Outside her countries a case answers like no case at all (no existence oracle).
    assert_problem(await client.get(f"/cases/{mx['id']}", headers=ANALYST), 404)
    assert_problem(await client.post("/cases", json=case_body(country="MX"), headers=ANALYST), 403)
    # A refused read is no read, but it is audited as refused, with the actor.
    audit = (await client.get("/audit", headers=ADMIN)).json()
    assert [(e["action"], e["actor"], e["case_id"]) for e in audit["items"]] == [
        ("case.personal_data.read.denied", "ana", mx["id"])
    ]


async def test_roles(client):
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    staff = auth("network_staff")
    assert_problem(await client.post("/cases", json=case_body(), headers=staff), 403)
    assert_problem(await client.get("/cases", headers=auth("fund_committee")), 403)
    body = assert_problem(await client.get(f"/cases/{case['id']}", headers=staff), 403)
    assert NAME not in body["detail"]
    assert_problem(await client.get("/audit", headers=ANALYST), 403)
    assert (await client.get(f"/cases/{case['id']}/timeline", headers=staff)).status_code == 200
    assert_problem(await client.get("/cases"), 401)


async def test_close_case(client):
    case = (await client.post("/cases", json=case_body(), headers=ANALYST)).json()
    closed = await client.post(
        f"/cases/{case['id']}/close", json={"reason": "risk_resolved"}, headers=ANALYST
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["close_reason"] == "risk_resolved"
    again = assert_problem(
        await client.post(f"/cases/{case['id']}/close", json={"reason": "other"}, headers=ANALYST), 409
    )
    assert "already closed" in again["detail"]
    assert (await client.get("/cases?status=closed", headers=ANALYST)).json()["total"] == 1


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda b: b.update(country="gt"), "country"),
        (lambda b: b.update(line_of_defence="poetry"), "line_of_defence"),
        (lambda b: b["party"].update(children_ages=[19]), "children_ages"),
        (lambda b: b["party"].update(adults=0), "adults"),
        (lambda b: b["personal"].pop("full_name"), "full_name"),
        (lambda b: b.pop("region"), "region"),
    ],
)
async def test_bad_case_bodies_are_400_without_echoing_personal_data(client, mutate, key):
    body = case_body()
    mutate(body)
    problem = assert_problem(await client.post("/cases", json=body, headers=ANALYST), 400)
    assert key in problem["detail"] or key in str(problem.get("errors"))
    text = str(problem)
    assert NAME not in text and PHONE not in text


async def test_an_unknown_field_is_refused_without_echoing_its_name(client):
    """A key the client invented may itself be personal data: the error names the place
    and lists the allowed fields, never the key."""
    body = case_body()
    body["Rosa Elena Xol Caal"] = 1
    problem = assert_problem(await client.post("/cases", json=body, headers=ANALYST), 400)
    assert "Rosa" not in str(problem) and NAME not in str(problem) and PHONE not in str(problem)
    assert [e["rule"] for e in problem["errors"]] == ["unknown_field"]
    assert "line_of_defence" in problem["errors"][0]["message"]  # the allowed fields are listed


async def test_one_contact_sent_as_a_string_is_read_back(client):
    """It is stored as a list of one, so it has one contact's bounds: a longer one was
    taken and then broke every read of the case (a 500)."""
    body = case_body()
    body["personal"]["contacts"] = "c" * 200
    case = await client.post("/cases", json=body, headers=ANALYST)
    assert case.status_code == 201, case.text
    read = await client.get(f"/cases/{case.json()['id']}", headers=ANALYST)
    assert read.status_code == 200 and read.json()["personal"]["contacts"] == ["c" * 200]
    body["personal"]["contacts"] = "c" * 201
    assert_problem(await client.post("/cases", json=body, headers=ANALYST), 400)


async def test_bad_paths_and_queries(client):
    assert_problem(await client.get("/cases/not-a-uuid", headers=ANALYST), 404)
    assert_problem(await client.get(f"/cases/{uuid.uuid4()}", headers=ANALYST), 404)
    assert_problem(await client.get("/cases?limit=0", headers=ANALYST), 400)
    assert_problem(await client.get("/cases?offset=-1", headers=ANALYST), 400)
    assert_problem(await client.get("/cases?status=lost", headers=ANALYST), 400)
    assert_problem(await client.get("/cases?level=severe", headers=ANALYST), 400)
    assert_problem(await client.get("/cases?country=Guatemala", headers=ANALYST), 400)
    assert_problem(
        await client.post(f"/cases/{uuid.uuid4()}/close", json={"reason": "x"}, headers=ANALYST), 400
    )
    assert_problem(
        await client.post(f"/cases/{uuid.uuid4()}/close", json={"reason": "other"}, headers=ANALYST), 404
    )
    assert_problem(await client.get("/audit?case_id=nope", headers=ADMIN), 400)
    malformed = {**ANALYST, "Content-Type": "application/json"}
    assert_problem(await client.post("/cases", content=b"{not json", headers=malformed), 400)
    assert_problem(await client.post("/cases", content=b"{not json", headers=ANALYST), 415)


async def test_accessibility_needs_are_codes_never_free_text(client):
    """They travel in events to shelters: a sentence could carry a name or a place."""
    body = case_body()
    body["party"]["accessibility_needs"] = ["wheelchair since the attack by Marta's neighbour"]
    response = await client.post("/cases", json=body, headers=ANALYST)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "Marta" not in response.text
    body["party"]["accessibility_needs"] = ["wheelchair"]
    assert (await client.post("/cases", json=body, headers=ANALYST)).status_code == 201
