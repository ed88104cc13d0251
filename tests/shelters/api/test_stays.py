"""Stay lengths: confirming with a stay, changing it, and overstays that keep their beds."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.shelters.placements import lifecycle
from shared import db
from tests.shelters.helpers import COORD, STAFF, assert_problem, create_shelter, place


async def free_beds(client, shelter_id, start: datetime, end: datetime) -> int:
    params = {"from": start.isoformat(), "to": end.isoformat()}
    avail = (await client.get("/availability", params=params, headers=STAFF)).json()
    return next(s["free"] for s in avail["shelters"] if s["shelter_id"] == shelter_id)


async def test_change_stay_and_overstay(client):
    shelter = await create_shelter(client, country="MX", region="MX-OAX", beds=[{"room": "A", "count": 1}])
    p = (await place(client)).json()
    assert p["status"] == "held" and p["stay_days"] == 30
    # Only confirmed or current stays can change their end.
    assert_problem(
        await client.post(f"/placements/{p['id']}/stay", json={"stay_days": 5}, headers=COORD), 409
    )
    confirmed = await client.post(f"/placements/{p['id']}/confirm", json={"stay_days": 1}, headers=COORD)
    assert confirmed.status_code == 200, confirmed.text
    starts = datetime.fromisoformat(confirmed.json()["starts_at"])
    assert datetime.fromisoformat(confirmed.json()["expected_end"]) == starts + timedelta(days=1)
    assert (await client.post(f"/placements/{p['id']}/check-in", headers=COORD)).status_code == 200

    now = datetime.now(UTC)
    assert await free_beds(client, shelter["id"], now + timedelta(days=2), now + timedelta(days=3)) == 1
    bed = p["bed_ids"][0]
    oos = {"start": (now + timedelta(days=10)).isoformat(), "end": (now + timedelta(days=12)).isoformat()}
    r = await client.post(f"/shelters/{shelter['id']}/beds/{bed}/out-of-service", json=oos, headers=COORD)
    assert r.status_code == 201
    clash = await client.post(f"/placements/{p['id']}/stay", json={"stay_days": 20}, headers=COORD)
    assert "shorter" in assert_problem(clash, 409)["detail"]
    longer = await client.post(f"/placements/{p['id']}/stay", json={"stay_days": 5}, headers=COORD)
    assert longer.status_code == 200 and longer.json()["status"] == "checked_in"
    assert await free_beds(client, shelter["id"], now + timedelta(days=2), now + timedelta(days=3)) == 0
    assert_problem(await client.post(f"/placements/{p['id']}/stay", json={}, headers=COORD), 422)

    # Days later the family is still there: the job keeps the bed one day ahead of the clock.
    settings = client.app.state.runtime.settings
    later = now + timedelta(days=7)
    conn = await db.connect(settings.dsn("shelters"))
    try:
        async with conn.transaction():
            assert await lifecycle.extend_overstays_tx(conn, now=later) == 1
        upper = await conn.fetchval(
            "SELECT upper(during) FROM bed_allocations WHERE placement_id = $1 AND active", uuid.UUID(p["id"])
        )
    finally:
        await conn.close()
    assert upper == later + timedelta(days=1)
    assert await free_beds(client, shelter["id"], later, later + timedelta(hours=12)) == 0


async def test_relocation_of_a_relocation_ends_the_stay_the_family_left(client):
    first = await create_shelter(client, country="MX", region="MX-OAX", beds=[{"room": "A", "count": 1}])
    p = (await place(client)).json()
    for step in ("confirm", "check-in"):
        assert (await client.post(f"/placements/{p['id']}/{step}", headers=COORD)).status_code == 200
    second = await create_shelter(client, country="MX", region="MX-PUE", beds=[{"room": "A", "count": 1}])
    r1 = (
        await client.post(f"/shelters/{first['id']}/compromise", json={"reason": "a"}, headers=COORD)
    ).json()
    (reloc1,) = r1["relocation_placement_ids"]
    await create_shelter(client, country="MX", region="MX-JAL", beds=[{"room": "A", "count": 1}])
    r2 = (
        await client.post(f"/shelters/{second['id']}/compromise", json={"reason": "b"}, headers=COORD)
    ).json()
    (reloc2,) = r2["relocation_placement_ids"]
    assert (await client.get(f"/placements/{reloc1}", headers=STAFF)).json()["status"] == "cancelled"
    for step in ("confirm", "check-in"):
        assert (await client.post(f"/placements/{reloc2}/{step}", headers=COORD)).status_code == 200
    left = (await client.get(f"/placements/{p['id']}", headers=STAFF)).json()
    assert left["status"] == "ended" and left["end_reason"] == "relocated"
    assert (await client.get(f"/placements/{reloc2}", headers=STAFF)).json()["relocation_of"] == reloc1
