"""The shelters API on the real app: shelters, beds, placements and their lifecycle."""

from __future__ import annotations

from tests.shelters.helpers import COORD, STAFF, assert_problem, create_shelter, place


async def test_placement_lifecycle(client):
    shelter = await create_shelter(
        client,
        country="GT",
        region="GT-17",
        beds=[{"room": "A", "count": 2}, {"room": "K", "count": 2, "child_sized": True}],
    )
    assert shelter["beds"] == 4 and shelter["address"]
    resp = await place(client, children=[4, 9], excluded_regions=["GT-14"])
    assert resp.status_code == 201, resp.text
    p = resp.json()
    assert p["status"] == "held" and p["shelter_id"] == shelter["id"] and len(p["bed_ids"]) == 3
    assert "same_country" in p["reason"]
    conf = await client.post(f"/placements/{p['id']}/confirm", json={"stay_days": 10}, headers=COORD)
    assert conf.status_code == 200, conf.text
    assert conf.json()["status"] == "confirmed" and conf.json()["hold_expires_at"] is None
    again = await client.post(f"/placements/{p['id']}/confirm", headers=COORD)
    assert_problem(again, 409)
    ci = await client.post(f"/placements/{p['id']}/check-in", headers=COORD)
    assert ci.status_code == 200 and ci.json()["status"] == "checked_in"
    co = await client.post(f"/placements/{p['id']}/check-out", json={}, headers=COORD)
    assert co.status_code == 200 and co.json()["status"] == "ended"
    listed = await client.get("/placements", params={"case_id": p["case_id"]}, headers=STAFF)
    assert listed.json()["total"] == 1


async def test_openapi_lists_every_route_with_an_operation_id(client):
    schema = (await client.get("/schema/openapi.json")).json()
    paths = schema["paths"]
    for path in ("/shelters", "/shelters/{shelter_id}/beds", "/availability", "/capacity", "/waitlist",
                 "/placements", "/placements/{placement_id}/confirm", "/shelters/{shelter_id}/compromise"):  # fmt: skip
        assert path in paths
    operations = [op for item in paths.values() for op in item.values() if isinstance(op, dict)]
    assert all(op.get("operationId") for op in operations)
    assert all(op.get("summary") or op.get("description") for op in operations)


async def test_a_shelter_compromised_again_after_reopening(client):
    """Checked in, compromised (relocation waits: no other shelter), reopened (the
    relocation is held back here), compromised again: a clear answer, one relocation."""
    shelter = await create_shelter(client, country="MX", region="MX-CHP")
    placed = (await place(client, country="MX", region="MX-OAX")).json()
    for step in ("confirm", "check-in"):
        assert (await client.post(f"/placements/{placed['id']}/{step}", headers=COORD)).status_code == 200
    url = f"/shelters/{shelter['id']}/compromise"
    first = await client.post(url, json={"reason": "vigilancia"}, headers=COORD)
    assert first.status_code == 200 and first.json()["relocations_waitlisted"] == 1
    reopened = await client.post(f"/shelters/{shelter['id']}/reopen", headers=COORD)
    assert reopened.status_code == 200 and reopened.json()["holds_from_waitlist"] == 1

    again = await client.post(url, json={"reason": "otra vez"}, headers=COORD)
    assert again.status_code == 200, again.text
    assert (await client.get(f"/shelters/{shelter['id']}", headers=COORD)).json()["status"] == "compromised"
    active = [
        p
        for p in (
            await client.get("/placements", params={"case_id": placed["case_id"]}, headers=STAFF)
        ).json()["items"]
        if p["status"] in ("requested", "held", "confirmed") and not p["needs_relocation"]
    ]
    assert len(active) == 1  # one relocation request, waiting for another shelter
