"""Addresses stay hidden from those who may not see them, from logs and from events;
bad input is a 4xx problem+json that says what is wrong."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.shelters.helpers import (
    ADDRESS,
    ADMIN,
    CONTACT,
    COORD,
    STAFF,
    assert_problem,
    create_shelter,
    known_case,
    place,
    placement_body,
    shelter_body,
)
from tests.support import auth


async def test_address_only_for_coordinators_and_admins(client):
    shelter = await create_shelter(client, country="SV", region="SV-SS")
    assert shelter["address"] == ADDRESS and shelter["contact"] == CONTACT
    url = f"/shelters/{shelter['id']}"
    for headers in (COORD, ADMIN):
        body = (await client.get(url, headers=headers)).json()
        assert body["address"] == ADDRESS and body["contact"] == CONTACT
    staff_view = await client.get(url, headers=STAFF)
    assert staff_view.status_code == 200
    assert (
        "address" not in staff_view.json()
        and ADDRESS not in staff_view.text
        and CONTACT not in staff_view.text
    )
    listed = await client.get("/shelters", headers=COORD)
    assert listed.json()["total"] == 1 and ADDRESS not in listed.text
    # Another country's shelter answers like no shelter (no existence oracle).
    other_country = await client.get(url, headers=auth("shelter_coordinator", countries=("GT",)))
    assert_problem(other_country, 404)

    await place(client, country="SV", region="SV-LI")
    compromise = await client.post(
        f"/shelters/{shelter['id']}/compromise", json={"reason": f"seen near {ADDRESS}"}, headers=COORD
    )
    assert compromise.status_code == 200 and ADDRESS not in compromise.text
    # A duplicate code is refused without echoing anything confidential.
    dup = await client.post("/shelters", json=shelter_body(code=shelter["code"]), headers=COORD)
    assert ADDRESS not in assert_problem(dup, 409)["detail"]


async def test_confidential_columns_are_ciphertext(client):
    from shared import db

    shelter = await create_shelter(client, country="MX")
    settings = client.app.state.runtime.settings
    conn = await db.connect(settings.dsn("shelters"))
    try:
        row = await conn.fetchrow("SELECT * FROM shelters WHERE id = $1", uuid.UUID(shelter["id"]))
    finally:
        await conn.close()
    assert b"Calle" not in bytes(row["confidential"])
    assert not any("Calle" in str(v) for k, v in dict(row).items() if k != "confidential")


async def test_roles(client):
    body = shelter_body()
    assert_problem(await client.post("/shelters", json=body, headers=STAFF), 403)
    assert_problem(await client.post("/shelters", json=body, headers=auth("risk_analyst")), 403)
    assert_problem(await client.get("/capacity", headers=auth("fund_committee")), 403)
    assert_problem(await client.get("/availability"), 401)
    wrong_country = auth("shelter_coordinator", countries=("GT",))
    assert_problem(
        await client.post("/shelters", json=shelter_body(country="MX"), headers=wrong_country), 403
    )


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("post", "/shelters", {**shelter_body(), "colour": "red"}, 400),
        ("post", "/shelters", {**shelter_body(), "country": "Mexico"}, 400),
        ("post", "/shelters", {**shelter_body(), "kind": "hotel"}, 400),
        ("post", "/shelters", {**shelter_body(), "beds": [{"room": "A", "count": 0}]}, 400),
        ("post", "/shelters", {k: v for k, v in shelter_body().items() if k != "address"}, 400),
        ("post", "/placements", {**placement_body(), "level": "severe"}, 400),
        ("post", "/placements", {**placement_body(), "party": {"adults": 0}}, 400),
        ("post", "/placements", {**placement_body(), "case_id": "not-a-uuid"}, 400),
        ("post", "/placements", {**placement_body(), "stay_days": 0}, 400),
        ("get", "/placements?status=sleeping", None, 400),
        ("get", "/placements?case_id=abc", None, 400),
        ("get", "/shelters?limit=0", None, 400),
        ("get", "/availability?adults=-1", None, 400),
        ("get", "/availability?from=yesterday", None, 400),
        ("get", "/availability?adults=0&children=0", None, 422),
        ("get", "/availability?from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z", None, 422),
        ("get", "/availability?from=2030-01-02&to=2030-01-02", None, 422),
        ("get", "/availability?from=2030-13-02", None, 400),
        # What the document says `from` and `to` are: a date or an RFC 3339 time with its offset.
        ("get", "/availability?from=0000000000", None, 400),
        ("get", "/availability?from=2030-01-02T00:00:00", None, 400),
        ("get", "/availability?from=0001-01-01T00:00:00%2B05:00", None, 422),  # no UTC twin
        ("get", "/availability?from=9999-12-31", None, 422),  # no 30 days after it
        ("get", f"/placements/{uuid.uuid4()}", None, 404),
        ("get", f"/shelters/{uuid.uuid4()}", None, 404),
        ("post", f"/placements/{uuid.uuid4()}/confirm", {}, 404),
        ("post", f"/placements/{uuid.uuid4()}/cancel", {"reason": "because"}, 400),
        ("post", f"/shelters/{uuid.uuid4()}/beds", {"room": "A", "count": 2}, 404),
        ("post", f"/shelters/{uuid.uuid4()}/compromise", {}, 400),
        ("post", f"/shelters/{uuid.uuid4()}/reopen", None, 404),
        (
            "delete",
            f"/shelters/{uuid.uuid4()}/beds/{uuid.uuid4()}/out-of-service/99999999999999999999",
            None,
            400,
        ),
        ("delete", f"/shelters/{uuid.uuid4()}/beds/{uuid.uuid4()}/out-of-service/5", None, 404),
    ],
)
async def test_bad_input_is_a_problem(client, method, path, body, status):
    kwargs = {"json": body} if body is not None else {}
    resp = await getattr(client, method)(path, headers=ADMIN, **kwargs)
    assert_problem(resp, status)


async def test_conflicts_are_409_with_a_useful_detail(client):
    shelter = await create_shelter(client, country="MX", beds=[{"room": "A", "count": 1}])
    body = placement_body()
    await known_case(client, body["case_id"], body["country"])
    p = (await client.post("/placements", json=body, headers=STAFF)).json()
    assert p["status"] == "held"
    second = assert_problem(await client.post("/placements", json=body, headers=STAFF), 409)
    assert p["id"] in second["detail"]
    checkin = assert_problem(await client.post(f"/placements/{p['id']}/check-in", headers=COORD), 409)
    assert "held" in checkin["detail"] and "confirmed" in checkin["detail"]
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert_problem(
        await client.post(f"/placements/{p['id']}/confirm", json={"expected_end": past}, headers=COORD), 422
    )
    assert_problem(
        await client.post(
            f"/placements/{p['id']}/confirm", json={"stay_days": 3, "expected_end": past}, headers=COORD
        ),
        422,
    )
    assert (await client.post(f"/placements/{p['id']}/cancel", headers=STAFF)).status_code == 200
    assert_problem(await client.post(f"/placements/{p['id']}/cancel", headers=STAFF), 409)
    assert_problem(await client.post(f"/shelters/{shelter['id']}/reopen", headers=COORD), 409)
    bed = (await client.get(f"/shelters/{shelter['id']}/beds", headers=STAFF)).json()[0]["id"]
    now = datetime.now(UTC)
    backwards = {"start": now.isoformat(), "end": (now - timedelta(hours=1)).isoformat()}
    assert_problem(
        await client.post(
            f"/shelters/{shelter['id']}/beds/{bed}/out-of-service", json=backwards, headers=COORD
        ),
        422,
    )


async def test_refusals_have_a_code_and_never_quote_what_was_sent(client):
    shelter = await create_shelter(client, country="MX", beds=[{"room": "A", "count": 1}])
    missing = str(uuid.uuid4())
    for path, code in (
        (f"/placements/{missing}", "placement.not_found"),
        (f"/shelters/{missing}", "shelter.not_found"),
        (f"/shelters/{shelter['id']}/beds/{missing}/out-of-service", "bed.not_found"),
    ):
        body = assert_problem(await client.get(path, headers=ADMIN), 404)
        assert body["code"] == code and missing not in body["detail"]
    dup = assert_problem(
        await client.post("/shelters", json=shelter_body(code=shelter["code"]), headers=COORD), 409
    )
    assert dup["code"] == "shelter.code_taken" and shelter["code"] not in dup["detail"]
    body = placement_body()
    await known_case(client, body["case_id"], body["country"])
    await client.post("/placements", json=body, headers=STAFF)
    again = assert_problem(await client.post("/placements", json=body, headers=STAFF), 409)
    assert again["code"] == "placement.already_active" and body["case_id"] not in again["detail"]
    compromised = f"/shelters/{shelter['id']}/compromise"
    assert (await client.post(compromised, json={"reason": "x"}, headers=COORD)).status_code == 200
    twice = assert_problem(await client.post(compromised, json={"reason": "x"}, headers=COORD), 409)
    assert twice["code"] == "shelter.already_compromised" and shelter["id"] not in twice["detail"]
