"""The audit log of shelters: every time a shelter's address and contact are shown, one
row (who, which shelter, when) and never the address or the contact; none when nothing
is shown; append-only in the database; listed for admins only, with filters and pages."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import asyncpg
import pytest

from shared import db
from tests.shelters.helpers import (
    ADDRESS,
    ADMIN,
    CONTACT,
    COORD,
    STAFF,
    assert_problem,
    create_shelter,
    shelter_body,
)
from tests.support import auth

CARMEN = auth("shelter_coordinator", sub="carmen@example.org")
DORA = auth("shelter_coordinator", sub="dora@example.org")
NICO = auth("network_staff", sub="nico@example.org")


async def _rows(client) -> list[asyncpg.Record]:
    """The audit log as stored, every column (read from the database, not the route)."""
    conn = await db.connect(client.app.state.runtime.settings.dsn("shelters"))
    try:
        return await conn.fetch("SELECT * FROM audit_log ORDER BY id")
    finally:
        await conn.close()


def _q(t: datetime) -> str:
    return quote(t.isoformat(), safe="")


async def test_a_coordinator_reading_a_shelter_leaves_one_row_naming_her_and_the_shelter(client):
    shelter = await create_shelter(client, country="GT")
    before = await _rows(client)
    shown = await client.get(f"/shelters/{shelter['id']}", headers=CARMEN)
    assert shown.status_code == 200 and shown.json()["address"] == ADDRESS

    new = (await _rows(client))[len(before) :]
    assert [(r["actor"], r["action"], str(r["object_id"])) for r in new] == [
        ("carmen@example.org", "shelter.address.read", shelter["id"])
    ]
    for row in await _rows(client):  # no column of any row holds the address or the contact
        stored = " ".join(str(value) for value in row.values())
        assert ADDRESS not in stored and CONTACT not in stored and "Calle Secreta" not in stored


async def test_reads_that_show_no_address_leave_no_row(client):
    shelter = await create_shelter(client, country="GT")
    before = len(await _rows(client))
    staff_view = await client.get(f"/shelters/{shelter['id']}", headers=NICO)
    assert staff_view.status_code == 200 and "address" not in staff_view.json()
    listed = await client.get("/shelters", headers=CARMEN)  # a list never shows addresses
    assert listed.status_code == 200 and listed.json()["total"] == 1
    beds = await client.get(f"/shelters/{shelter['id']}/beds", headers=CARMEN)
    assert beds.status_code == 200
    # A coordinator of another country is told there is no such shelter: nothing shown.
    elsewhere = auth("shelter_coordinator", sub="mx@example.org", countries=("MX",))
    assert_problem(await client.get(f"/shelters/{shelter['id']}", headers=elsewhere), 404)
    assert len(await _rows(client)) == before


async def test_every_answer_that_shows_an_address_is_audited_once_per_shelter(client):
    # The answer to the registration shows it to the coordinator who typed it, and a retry
    # of the same form shows it again: two rows. An admin's read is one more.
    key = {"Idempotency-Key": str(uuid.uuid4())}
    body = shelter_body(country="SV")
    first = await client.post("/shelters", json=body, headers={**DORA, **key})
    again = await client.post("/shelters", json=body, headers={**DORA, **key})
    assert (first.status_code, again.status_code) == (201, 200)
    other = await create_shelter(client, country="SV")
    await client.get(f"/shelters/{first.json()['id']}", headers=ADMIN)
    seen = [(r["actor"], str(r["object_id"])) for r in await _rows(client)]
    assert seen == [
        ("dora@example.org", first.json()["id"]),
        ("dora@example.org", first.json()["id"]),
        ("coord", other["id"]),
        ("admin", first.json()["id"]),
    ]


async def test_the_audit_log_is_append_only_in_the_database(client):
    shelter = await create_shelter(client, country="GT")
    conn = await db.connect(client.app.state.runtime.settings.dsn("shelters"))
    try:
        for sql in ("UPDATE audit_log SET actor = 'nobody'", "DELETE FROM audit_log", "TRUNCATE audit_log"):
            with pytest.raises(asyncpg.exceptions.RestrictViolationError, match="append-only"):
                await conn.execute(sql)
        assert await conn.fetchval("SELECT object_id FROM audit_log WHERE actor = 'coord'") == uuid.UUID(
            shelter["id"]
        )
    finally:
        await conn.close()


async def test_the_audit_route_is_for_admins_and_filters_by_actor_action_shelter_and_time(client):
    before = datetime.now(UTC)
    one = await create_shelter(client, country="GT")  # coord: one row
    two = await create_shelter(client, country="GT")  # coord: one row
    for headers, shelter in ((CARMEN, one), (DORA, one), (CARMEN, two), (NICO, two)):
        assert (await client.get(f"/shelters/{shelter['id']}", headers=headers)).status_code == 200
    after = datetime.now(UTC) + timedelta(seconds=1)

    for headers in (CARMEN, STAFF, COORD):
        assert_problem(await client.get("/audit", headers=headers), 403)

    def page(query: str):
        return client.get(f"/audit?{query}", headers=ADMIN)

    everything = (await page("")).json()
    assert everything["total"] == 5
    assert [e["actor"] for e in everything["items"]] == [
        "carmen@example.org",
        "dora@example.org",
        "carmen@example.org",
        "coord",
        "coord",
    ]  # newest first
    carmen = (await page("actor=carmen@example.org")).json()
    assert carmen["total"] == 2
    assert [e["object_id"] for e in carmen["items"]] == [two["id"], one["id"]]
    assert {e["action"] for e in carmen["items"]} == {"shelter.address.read"}
    assert (await page("actor=nico@example.org")).json()["total"] == 0
    assert (await page("action=shelter.address.read")).json()["total"] == 5
    assert (await page("action=shelter.address.read.denied")).json()["total"] == 0
    assert (await page(f"object_id={one['id']}&actor=dora@example.org")).json()["total"] == 1
    assert (await page(f"since={_q(before)}&until={_q(after)}")).json()["total"] == 5
    assert (await page(f"since={_q(after)}")).json()["total"] == 0
    assert (await page(f"until={_q(before)}")).json()["total"] == 0
    paged = (await page("limit=3&offset=3")).json()
    assert (paged["total"], len(paged["items"]), paged["limit"], paged["offset"]) == (5, 2, 3, 3)
    assert ADDRESS not in str(everything) and CONTACT not in str(everything)

    assert_problem(await page(f"since={_q(after)}&until={_q(before)}"), 422)
    assert_problem(await page("since=2026-01-01T00:00:00"), 400)  # no offset: which day?
    assert_problem(await page("until=0.5"), 400)  # a number is no time
    assert_problem(await page("since=0001-01-01T00:00:00Z"), 422)
    assert_problem(await page("action=DROP%20TABLE"), 400)
    assert_problem(await page("object_id=not-a-shelter"), 400)
    assert_problem(await page("limit=0"), 400)
