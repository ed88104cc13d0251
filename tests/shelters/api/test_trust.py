"""Trust boundaries of shelters (issue 10, findings 1 and 8): placements by hand only for
a case risk announced, by staff of its country; that staff sees and cancels them wherever
the shelter is; anything outside the caller's countries answers like nothing at all."""

from __future__ import annotations

import uuid

from tests.shelters.helpers import (
    COORD,
    assert_problem,
    create_shelter,
    known_case,
    placement_body,
)
from tests.support import auth

GT_STAFF = auth("network_staff", countries=("GT",), sub="gt-staff")
MX_STAFF = auth("network_staff", countries=("MX",), sub="mx-staff")


def same_answer(a, b) -> None:
    assert a.status_code == b.status_code, (a.text, b.text)
    assert a.headers["content-type"] == b.headers["content-type"]
    assert a.json() == b.json()


async def test_a_placement_for_an_unknown_or_foreign_case_is_refused_alike(client):
    await create_shelter(client, country="GT", region="GT-17")
    mx_case = uuid.uuid4()
    await known_case(client, mx_case, "MX")
    # The squat of finding 1: GT staff holding a GT bed for an MX case (201 before).
    squat = await client.post(
        "/placements", json=placement_body(case_id=mx_case, country="GT"), headers=GT_STAFF
    )
    unknown = await client.post(
        "/placements", json=placement_body(case_id=uuid.uuid4(), country="GT"), headers=GT_STAFF
    )
    body = assert_problem(squat, 422)
    assert body["code"] == "case.unknown" and str(mx_case) not in body["detail"]
    same_answer(squat, unknown)
    # Saying the case's country does not help a token that does not cover it.
    as_mx = await client.post(
        "/placements", json=placement_body(case_id=mx_case, country="MX"), headers=GT_STAFF
    )
    assert_problem(as_mx, 422)
    assert (await client.get("/placements", headers=auth("admin"))).json()["total"] == 0


async def test_the_case_country_is_the_placement_country(client):
    mx_case = uuid.uuid4()
    await known_case(client, mx_case, "MX")
    wrong = await client.post(
        "/placements", json=placement_body(case_id=mx_case, country="GT"), headers=auth("network_staff")
    )
    body = assert_problem(wrong, 422)
    assert body["code"] == "case.country_mismatch" and body["country"] == "MX"
    closed = uuid.uuid4()
    await known_case(client, closed, "MX", status="closed")
    refused = await client.post(
        "/placements", json=placement_body(case_id=closed, country="MX"), headers=MX_STAFF
    )
    assert assert_problem(refused, 409)["code"] == "case.closed"


async def test_staff_of_the_case_country_see_and_cancel_it_wherever_the_shelter_is(client):
    await create_shelter(client, country="GT", region="GT-17")
    mx_case = uuid.uuid4()
    await known_case(client, mx_case, "MX")
    made = await client.post(
        "/placements", json=placement_body(case_id=mx_case, country="MX", region="MX-CHP"), headers=MX_STAFF
    )
    assert made.status_code == 201, made.text
    p = made.json()
    assert p["status"] == "held" and p["country"] == "MX" and p["shelter_country"] == "GT"
    url = f"/placements/{p['id']}"
    for staff in (MX_STAFF, GT_STAFF):  # the case's country and the shelter's
        assert (await client.get(url, headers=staff)).status_code == 200
        listed = (await client.get("/placements", params={"case_id": str(mx_case)}, headers=staff)).json()
        assert [x["id"] for x in listed["items"]] == [p["id"]]
    cancelled = await client.post(f"{url}/cancel", json={"reason": "no_longer_needed"}, headers=MX_STAFF)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


async def test_a_foreign_placement_or_shelter_answers_like_none(client):
    shelter = await create_shelter(client, country="MX", region="MX-CHP")
    mx_case = uuid.uuid4()
    await known_case(client, mx_case, "MX")
    p = (
        await client.post(
            "/placements",
            json=placement_body(case_id=mx_case, country="MX", region="MX-CHP"),
            headers=MX_STAFF,
        )
    ).json()
    gt_coord = auth("shelter_coordinator", countries=("GT",), sub="gt-coord")
    for path, method in (
        ("/placements/{id}", "get"),
        ("/placements/{id}/cancel", "post"),
        ("/placements/{id}/confirm", "post"),
    ):
        foreign = await getattr(client, method)(path.format(id=p["id"]), headers=gt_coord)
        unknown = await getattr(client, method)(path.format(id=uuid.uuid4()), headers=gt_coord)
        assert_problem(foreign, 404)
        same_answer(foreign, unknown)
    for path, method in (
        ("/shelters/{id}", "get"),
        ("/shelters/{id}/beds", "get"),
        ("/shelters/{id}/close", "post"),
    ):
        foreign = await getattr(client, method)(path.format(id=shelter["id"]), headers=gt_coord)
        unknown = await getattr(client, method)(path.format(id=uuid.uuid4()), headers=gt_coord)
        assert_problem(foreign, 404)
        same_answer(foreign, unknown)
    assert (await client.get(f"/shelters/{shelter['id']}", headers=COORD)).status_code == 200
