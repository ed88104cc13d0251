"""A retried request for beds holds once; a resent form adds its beds once."""

from __future__ import annotations

import asyncio
import uuid

from tests.shelters.helpers import (
    ADDRESS,
    COORD,
    STAFF,
    assert_problem,
    create_shelter,
    known_case,
    placement_body,
    shelter_body,
)


def keyed(headers: dict, key: str) -> dict:
    return {**headers, "Idempotency-Key": key}


async def test_a_retried_placement_request_holds_beds_once(client):
    await create_shelter(client, country="GT", region="GT-17", beds=[{"room": "A", "count": 6}])
    body = placement_body(adults=2)
    await known_case(client, body["case_id"], body["country"])
    key = str(uuid.uuid4())
    answers = await asyncio.gather(
        *[client.post("/placements", json=body, headers=keyed(STAFF, key)) for _ in range(4)]
    )
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 201], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    placements = (await client.get(f"/placements?case_id={body['case_id']}", headers=STAFF)).json()
    assert placements["total"] == 1 and len(placements["items"][0]["bed_ids"]) == 2
    # Without a key the second request is refused as before (one active placement per case).
    assert_problem(await client.post("/placements", json=body, headers=STAFF), 409)


async def test_a_resent_form_adds_beds_once_and_registers_the_shelter_once(client):
    key = str(uuid.uuid4())
    body = shelter_body(country="GT", region="GT-17")
    first = await client.post("/shelters", json=body, headers=keyed(COORD, key))
    again = await client.post("/shelters", json=body, headers=keyed(COORD, key))
    assert (first.status_code, again.status_code) == (201, 200), first.text
    # The coordinator who registered it sees the same answer, address included.
    assert again.json() == first.json() and again.json()["address"] == ADDRESS
    shelter = first.json()

    key = str(uuid.uuid4())
    url = f"/shelters/{shelter['id']}/beds"
    beds = {"room": "B", "count": 3}
    a = await client.post(url, json=beds, headers=keyed(COORD, key))
    b = await client.post(url, json=beds, headers=keyed(COORD, key))
    assert (a.status_code, b.status_code) == (201, 200), a.text
    assert a.json() == b.json()
    listed = await client.get(url, headers=COORD)
    assert len(listed.json()) == shelter["beds"] + 3
    assert_problem(await client.post(url, json={"room": "B", "count": 4}, headers=keyed(COORD, key)), 422)
