"""Many simultaneous holds against the real database: never more than the beds, never an overlap."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings

from services.shelters.capacity import store as capacity_store
from services.shelters.placements import schemas, service
from shared.errors import Conflict
from shared.events import AssessmentRecorded, Party, new_event
from tests.shelters.helpers import ADMIN_PRINCIPAL, CONFIG, known_case, make_shelter, runtime
from tests.strategies import from_type

OVERLAPS = """SELECT count(*) FROM bed_allocations a JOIN bed_allocations b
              ON a.bed_id = b.bed_id AND a.id < b.id AND a.active AND b.active AND a.during && b.during"""


async def request(pool, *, adults: int = 1, children=()) -> str:
    async with pool.acquire() as conn, conn.transaction():
        placement_id, _ = await service.open_request_tx(
            conn,
            CONFIG,
            case_id=uuid.uuid4(),
            country="MX",
            region="MX-CHP",
            party=Party(adults=adults, children_ages=list(children)),
            level="high",
            excluded_regions=[],
        )
        return await conn.fetchval("SELECT status FROM placements WHERE id = $1", placement_id)


async def test_simultaneous_holds_give_exactly_as_many_as_beds(pool):
    await make_shelter(pool, code="uno", country="MX", beds=5)
    await make_shelter(pool, code="dos", country="GT", beds=3)
    statuses = await asyncio.gather(*(request(pool) for _ in range(30)))
    assert statuses.count("held") == 8
    assert statuses.count("requested") == 22
    assert await pool.fetchval(OVERLAPS) == 0
    assert await pool.fetchval("SELECT count(*) FROM bed_allocations WHERE active") == 8
    assert await pool.fetchval("SELECT count(*) FROM placements WHERE waitlisted") == 22


async def test_simultaneous_family_holds_are_all_or_none(pool):
    await make_shelter(pool, code="familias", country="MX", beds=7)
    statuses = await asyncio.gather(*(request(pool, adults=1, children=[15]) for _ in range(12)))
    assert statuses.count("held") == 3
    per_placement = await pool.fetch(
        "SELECT placement_id, count(*) AS n FROM bed_allocations WHERE active GROUP BY placement_id"
    )
    assert sorted(r["n"] for r in per_placement) == [2, 2, 2]
    assert await pool.fetchval(OVERLAPS) == 0


async def test_the_database_itself_refuses_an_overlapping_booking(pool):
    shelter_id = await make_shelter(pool, code="tres", country="MX", beds=1)
    bed_id = await pool.fetchval("SELECT id FROM beds WHERE shelter_id = $1", shelter_id)
    insert = """INSERT INTO bed_allocations (bed_id, shelter_id, kind, during)
                VALUES ($1, $2, 'out_of_service', tstzrange(now() + $3::text::interval, now() + $4::text::interval))"""
    await pool.execute(insert, bed_id, shelter_id, "0 days", "2 days")
    with pytest.raises(asyncpg.ExclusionViolationError):
        await pool.execute(insert, bed_id, shelter_id, "1 day", "3 days")
    # Adjacent ranges do not overlap, and inactive rows do not count.
    await pool.execute(insert, bed_id, shelter_id, "2 days", "3 days")
    await pool.execute("UPDATE bed_allocations SET active = false")
    await pool.execute(insert, bed_id, shelter_id, "1 day", "3 days")


async def test_availability_never_scans_past_placements(pool):
    """Ended stays leave the partial indexes: the plan probes only active allocations."""
    shelter_id = await make_shelter(pool, code="historia", country="MX", beds=20)
    beds = [r["id"] for r in await pool.fetch("SELECT id FROM beds WHERE shelter_id = $1", shelter_id)]
    past = datetime.now(UTC) - timedelta(days=900)
    await pool.executemany(
        """INSERT INTO bed_allocations (bed_id, shelter_id, kind, during, active)
           VALUES ($1, $2, 'out_of_service', tstzrange($3, $4), false)""",
        [
            (beds[i % 20], shelter_id, past + timedelta(days=i), past + timedelta(days=i, hours=20))
            for i in range(4000)
        ],
    )
    await pool.execute("ANALYZE bed_allocations")
    now = datetime.now(UTC)
    async with pool.acquire() as conn:
        rows = await capacity_store.availability(
            conn, start=now, end=now + timedelta(days=30), countries=None, region=None
        )
        assert rows[0]["free"] == 20
        explain = "EXPLAIN " + capacity_store.AVAILABILITY_SQL
        plan = "\n".join(r[0] for r in await conn.fetch(explain, now, now + timedelta(days=30), None, None))
    assert "Seq Scan on bed_allocations" not in plan, plan


async def test_simultaneous_requests_for_one_case_give_one_placement(pool):
    await make_shelter(pool, code="cuatro", country="MX", beds=6)
    rt = runtime(pool)
    body = schemas.PlacementCreate(case_id=uuid.uuid4(), country="GT", region="GT-14", level="extreme")
    await known_case(pool, body.case_id, "GT")
    results = await asyncio.gather(
        *(service.request_placement(rt, ADMIN_PRINCIPAL, body) for _ in range(6)), return_exceptions=True
    )
    assert sum(isinstance(r, schemas.Placement) for r in results) == 1
    assert sum(isinstance(r, Conflict) for r in results) == 5
    assert await pool.fetchval("SELECT count(*) FROM bed_allocations WHERE active") == 1


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(payload=from_type(AssessmentRecorded))
async def test_any_assessment_event_is_handled(pool, payload):
    """Whatever risk sends within the event schema, the handler applies it (no dead letter)
    and a case never gets a second active placement."""
    if not await pool.fetchval("SELECT count(*) FROM shelters"):
        await make_shelter(pool, code="eventos", country="GT", beds=3)
    case_id = uuid.uuid4()  # examples share the database
    for _ in range(2):
        event = new_event(payload, producer="risk", case_id=case_id)
        async with pool.acquire() as conn, conn.transaction():
            await service.on_assessment(conn, CONFIG, event)
    active = await pool.fetchval(
        "SELECT count(*) FROM placements WHERE case_id = $1 AND status IN ('requested', 'held')", case_id
    )
    assert active == (1 if "shelter" in payload.measures else 0)


async def test_an_assessment_with_nul_in_its_texts_is_handled(pool):
    """Found by the property above: events are not validated like HTTP bodies, and
    PostgreSQL text cannot hold NUL (an accessibility need with one was a dead letter)."""
    await make_shelter(pool, code="nul", country="GT", beds=3)
    payload = AssessmentRecorded(
        assessment_id=uuid.uuid4(),
        instrument_version="2024.1",
        computed_level="high",
        level="high",
        scores={},
        measures=["shelter"],
        country="GT",
        region="GT-1\x007",
        excluded_regions=["GT-1\x004"],
        party=Party(adults=1, accessibility_needs=["wheel\x00chair"]),
        shared_with=["shelters"],
    )
    case_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await service.on_assessment(conn, CONFIG, new_event(payload, producer="risk", case_id=case_id))
    row = await pool.fetchrow("SELECT region, excluded_regions, accessibility_needs FROM placements")
    assert (row["region"], row["excluded_regions"], row["accessibility_needs"]) == (
        "GT-17",
        ["GT-14"],
        ["wheelchair"],
    )
