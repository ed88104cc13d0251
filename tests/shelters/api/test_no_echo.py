"""No refusal repeats what the client sent: an id in the path or the body, a code, a
country, a time, a key. Any of them may be personal data (a name typed in the wrong field),
and an id repeated back tells nothing the client did not know."""

from __future__ import annotations

import uuid

from tests.shelters.helpers import ADMIN, COORD, STAFF, assert_problem, placement_body, shelter_body

TYPED = "Rosa Elena Xol Caal"
QUERY_TYPED = TYPED.replace(" ", "+")


async def test_refusals_never_repeat_an_id_a_code_or_a_key(client):
    ghost = str(uuid.uuid4())
    refusals = [
        (await client.get(f"/shelters/{ghost}", headers=STAFF), 404),
        (await client.get(f"/placements/{ghost}", headers=STAFF), 404),
        (await client.post(f"/placements/{ghost}/confirm", json={}, headers=COORD), 404),
        (await client.post(f"/shelters/{ghost}/beds", json={"room": "A", "count": 2}, headers=COORD), 404),
        (await client.post("/placements", json=placement_body(case_id=ghost), headers=STAFF), 422),
        (await client.post("/placements", json=placement_body(level=TYPED), headers=STAFF), 400),
        (await client.post("/shelters", json=shelter_body(kind=TYPED), headers=COORD), 400),
        (await client.post("/shelters", json=shelter_body(country=TYPED), headers=COORD), 400),
        (await client.post("/shelters", json=shelter_body(services=[TYPED]), headers=COORD), 400),
        (await client.post("/shelters", json={**shelter_body(), TYPED: 1}, headers=COORD), 400),
        (await client.get(f"/availability?from={QUERY_TYPED}", headers=STAFF), 400),
        (await client.get(f"/availability?country={QUERY_TYPED}", headers=STAFF), 400),
        (await client.get(f"/placements?status={QUERY_TYPED}", headers=ADMIN), 400),
        (await client.get(f"/placements?case_id={QUERY_TYPED}", headers=ADMIN), 400),
    ]
    for response, status in refusals:
        text = str(assert_problem(response, status))
        for sent in (ghost, uuid.UUID(ghost).hex, TYPED, "Rosa"):
            assert sent not in text, f"{sent!r} echoed in {text}"
