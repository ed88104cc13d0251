"""Waitlist order and promotion, availability and capacity on the real app."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from services.shelters.placements import lifecycle
from shared import db
from tests.shelters.helpers import COORD, STAFF, create_shelter, place
from tests.support import auth


async def request(client, **kwargs) -> dict:
    resp = await place(client, **kwargs)
    assert resp.status_code == 201, resp.text
    return resp.json()


async def status_of(client, placement_id) -> str:
    return (await client.get(f"/placements/{placement_id}", headers=STAFF)).json()["status"]


async def test_waitlist_order_and_promotion_when_beds_free_up(client):
    shelter = await create_shelter(client, country="MX", region="MX-OAX", beds=[])
    low = await request(client, level="low")
    extreme_family = await request(client, level="extreme", adults=1, children=[14, 16])
    medium = await request(client, level="medium")
    extreme = await request(client, level="extreme")
    assert all(p["status"] == "requested" and p["waitlisted"] for p in (low, extreme_family, medium, extreme))

    wl = (await client.get("/waitlist", headers=STAFF)).json()
    order = [e["placement_id"] for e in wl["items"]]
    assert order == [extreme_family["id"], extreme["id"], medium["id"], low["id"]]
    assert [e["position"] for e in wl["items"]] == [1, 2, 3, 4]

    # One bed: the family at the top does not fit, so the next extreme case gets it.
    added = await client.post(
        f"/shelters/{shelter['id']}/beds", json={"room": "A", "count": 1}, headers=COORD
    )
    assert added.status_code == 201 and added.json()["beds_total"] == 1
    assert await status_of(client, extreme["id"]) == "held"
    assert await status_of(client, extreme_family["id"]) == "requested"

    # Cancelling that hold hands the bed to the next that fits (medium, before low).
    cancel = await client.post(
        f"/placements/{extreme['id']}/cancel", json={"reason": "withdrawn"}, headers=STAFF
    )
    assert cancel.status_code == 200 and cancel.json()["status"] == "cancelled"
    assert await status_of(client, medium["id"]) == "held"

    # An expired hold frees its bed for the next one (low).
    # (the app runs on the test client's own loop: use a connection of this loop)
    settings = client.app.state.runtime.settings
    conn = await db.connect(settings.dsn("shelters"))
    try:
        async with conn.transaction():
            later = datetime.now(UTC) + timedelta(hours=client.app.state.runtime.config.hold_hours, minutes=1)
            assert await lifecycle.expire_holds_tx(conn, client.app.state.runtime.config, now=later) == 1
    finally:
        await conn.close()
    assert await status_of(client, medium["id"]) == "expired"
    assert await status_of(client, low["id"]) == "held"

    # Three more beds: now the family fits, all together.
    await client.post(f"/shelters/{shelter['id']}/beds", json={"room": "B", "count": 3}, headers=COORD)
    family = (await client.get(f"/placements/{extreme_family['id']}", headers=STAFF)).json()
    assert family["status"] == "held" and len(family["bed_ids"]) == 3
    assert (await client.get("/waitlist", headers=STAFF)).json()["total"] == 0


async def test_check_out_promotes_and_out_of_service_blocks(client):
    shelter = await create_shelter(client, country="MX", region="MX-OAX", beds=[{"room": "A", "count": 1}])
    first = await request(client, level="medium")
    second = await request(client, level="high")
    assert first["status"] == "held" and second["status"] == "requested"
    bed = first["bed_ids"][0]
    now = datetime.now(UTC)
    oos = {"start": now.isoformat(), "end": (now + timedelta(days=2)).isoformat(), "reason": "repair"}
    clash = await client.post(f"/shelters/{shelter['id']}/beds/{bed}/out-of-service", json=oos, headers=COORD)
    assert clash.status_code == 409 and "held" in clash.json()["detail"]
    for step in ("confirm", "check-in", "check-out"):
        assert (await client.post(f"/placements/{first['id']}/{step}", headers=COORD)).status_code == 200
    assert await status_of(client, second["id"]) == "held"
    ended = (await client.get(f"/placements/{first['id']}", headers=STAFF)).json()
    assert ended["status"] == "ended" and ended["bed_ids"] == [bed]


async def test_availability_and_capacity(client):
    gt = await create_shelter(
        client,
        country="GT",
        region="GT-17",
        beds=[
            {"room": "A", "count": 3},
            {"room": "K", "count": 2, "child_sized": True},
            {"room": "X", "count": 1, "accessible": True},
        ],
    )
    mx = await create_shelter(
        client, country="MX", region="MX-OAX", beds=[{"room": "A", "count": 2}], accessible=False
    )
    held = await request(client, adults=2, excluded_regions=["MX-OAX"])
    assert held["shelter_id"] == gt["id"]
    stay = await request(client, excluded_regions=["GT"])
    assert stay["shelter_id"] == mx["id"]
    assert (
        await client.post(f"/placements/{stay['id']}/confirm", json={"stay_days": 3}, headers=COORD)
    ).status_code == 200
    assert (await client.post(f"/placements/{stay['id']}/check-in", headers=COORD)).status_code == 200
    bed = (await client.get(f"/shelters/{gt['id']}/beds", headers=STAFF)).json()
    free_child = next(b for b in bed if b["child_sized"])
    now = datetime.now(UTC)
    oos = {"start": (now - timedelta(hours=1)).isoformat(), "end": (now + timedelta(days=1)).isoformat()}
    r = await client.post(
        f"/shelters/{gt['id']}/beds/{free_child['id']}/out-of-service", json=oos, headers=COORD
    )
    assert r.status_code == 201, r.text

    params = {"adults": 1, "children": 1, "accessible": "true"}
    avail = (await client.get("/availability", params=params, headers=STAFF)).json()
    by_id = {s["shelter_id"]: s for s in avail["shelters"]}
    assert by_id[gt["id"]]["beds"] == 6 and by_id[gt["id"]]["free"] == 3
    assert by_id[gt["id"]]["fits_party"] and not by_id[mx["id"]]["fits_party"]
    assert by_id[mx["id"]]["free"] == 1
    countries = {c["country"]: c for c in avail["countries"]}
    assert countries["GT"]["free"] == 3 and countries["GT"]["shelters_fitting_party"] == 1
    # A window after the out-of-service period and the 3-day stay: more beds free.
    later = {"from": (now + timedelta(days=5)).isoformat(), "to": (now + timedelta(days=6)).isoformat()}
    avail_later = (await client.get("/availability", params=later, headers=STAFF)).json()
    by_id = {s["shelter_id"]: s for s in avail_later["shelters"]}
    assert by_id[gt["id"]]["free"] == 4 and by_id[mx["id"]]["free"] == 2
    # Plain dates work too (midnight UTC).
    tomorrow = (now + timedelta(days=6)).date()
    by_date = await client.get("/availability", params={"from": str(tomorrow)}, headers=STAFF)
    assert by_date.status_code == 200 and by_date.json()["start"].startswith(str(tomorrow))
    # A closed shelter takes no new holds and leaves availability until reopened.
    closed = await client.post(f"/shelters/{mx['id']}/close", headers=COORD)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert (await client.post(f"/shelters/{mx['id']}/close", headers=COORD)).status_code == 409
    avail_closed = (await client.get("/availability", headers=STAFF)).json()
    assert mx["id"] not in {s["shelter_id"] for s in avail_closed["shelters"]}
    assert (await client.post(f"/shelters/{mx['id']}/reopen", headers=COORD)).status_code == 200
    # Country scoping: a GT-only token sees only GT.
    gt_only = (await client.get("/availability", headers=auth("network_staff", countries=("GT",)))).json()
    assert {s["country"] for s in gt_only["shelters"]} == {"GT"}

    cap = (await client.get("/capacity", headers=STAFF)).json()
    by_id = {s["shelter_id"]: s for s in cap["shelters"]}
    g, m = by_id[gt["id"]], by_id[mx["id"]]
    assert (g["beds"], g["held"], g["occupied"], g["out_of_service"], g["free"]) == (6, 2, 0, 1, 3)
    assert (m["beds"], m["held"], m["occupied"], m["out_of_service"], m["free"]) == (2, 0, 1, 0, 1)
    assert len(m["forecast"]) == 14
    assert [d["free"] for d in m["forecast"][:5]] == [1, 1, 1, 2, 2]  # leaves after 3 days
    assert g["forecast"][0]["free"] == 3 and g["forecast"][2]["free"] == 4  # back in service
    totals = {c["country"]: c for c in cap["countries"]}
    assert totals["MX"]["occupied"] == 1 and totals["GT"]["held"] == 2
