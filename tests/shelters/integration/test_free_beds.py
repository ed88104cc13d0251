"""The free beds of one shelter, read under its lock for every hold, and the shelters
with room in her country, read first for every hold: through those shelters' own stays,
however many other shelters have (shelters migration 0006)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from services.shelters.placements import store
from tests.shelters.helpers import make_shelter


def _rows_read_from(plan: dict, relation: str) -> int:
    rows = plan["Actual Rows"] * plan.get("Actual Loops", 1) if plan.get("Relation Name") == relation else 0
    return rows + sum(_rows_read_from(child, relation) for child in plan.get("Plans", []))


async def stays_after_the_statistics(pool, *, here, busy, now: datetime):
    """Every bed of ``busy`` taken half of each of the next 30 days and one bed of ``here``
    for two days, all after the statistics were taken, as in a running system: the
    planner's estimate of stays in "the next 30 days" comes from a past ANALYZE. Returns
    the bed of ``here`` that is taken."""
    await pool.execute("ANALYZE bed_allocations")
    beds = [r["id"] for r in await pool.fetch("SELECT id FROM beds WHERE shelter_id = $1", busy)]
    await pool.executemany(
        """INSERT INTO bed_allocations (bed_id, shelter_id, kind, during)
           VALUES ($1, $2, 'out_of_service', tstzrange($3, $4))""",
        [
            (bed, busy, now + timedelta(days=d), now + timedelta(days=d, hours=12))
            for bed in beds
            for d in range(30)
        ],
    )
    one = await pool.fetchval("SELECT id FROM beds WHERE shelter_id = $1 LIMIT 1", here)
    await pool.execute(
        """INSERT INTO bed_allocations (bed_id, shelter_id, kind, during)
           VALUES ($1, $2, 'out_of_service', tstzrange($3, $4))""",
        one,
        here,
        now,
        now + timedelta(days=2),
    )
    return one


async def test_a_holds_free_beds_are_read_from_its_shelters_stays_only(pool):
    here = await make_shelter(pool, code="aqui", country="MX", beds=3)
    busy = await make_shelter(pool, code="llena", country="GT", beds=40)
    now = datetime.now(UTC)
    one = await stays_after_the_statistics(pool, here=here, busy=busy, now=now)
    async with pool.acquire() as conn:
        free = await store.free_beds(conn, here, now, now + timedelta(days=30))
        assert len(free) == 2 and one not in {b.id for b in free}
        # The statement as the store sends it, explained with the same arguments.
        sql = store.FREE_BEDS_SQL
        (raw,) = await conn.fetchrow(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + sql, here, now, now + timedelta(days=30)
        )
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    assert _rows_read_from(plan, "bed_allocations") <= 3, plan


async def test_the_shelters_of_her_country_are_counted_from_their_own_stays_only(pool):
    home = await make_shelter(pool, code="casa", country="MX", beds=4)
    abroad = await make_shelter(pool, code="fuera", country="GT", beds=40)
    now = datetime.now(UTC)
    await stays_after_the_statistics(pool, here=home, busy=abroad, now=now)
    window = (now, now + timedelta(days=30))
    async with pool.acquire() as conn:
        (mine,) = await store.candidates(conn, *window, country="MX", home=True)
        assert mine.shelter_id == home and mine.free_regular + mine.free_child == 3
        # Abroad every bed is busy some time in the window: no shelter with room.
        assert await store.candidates(conn, *window, country="MX", home=False) == []
        # The two ways to count answer alike (the other countries' is one read of the stays).
        for home_too in (True, False):
            args = (*window, [], "MX", home_too)
            probed = await conn.fetch(store.HOME_CANDIDATES_SQL + " ORDER BY 1", *args)
            assert probed == await conn.fetch(store.CANDIDATES_SQL + " ORDER BY 1", *args)
        (raw,) = await conn.fetchrow(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + store.HOME_CANDIDATES_SQL, *window, [], "MX", True
        )
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    assert _rows_read_from(plan, "bed_allocations") <= 1, plan


async def test_a_stay_names_its_beds_own_shelter(pool):
    here = await make_shelter(pool, code="propia", country="MX", beds=1)
    other = await make_shelter(pool, code="ajena", country="MX", beds=1)
    bed = await pool.fetchval("SELECT id FROM beds WHERE shelter_id = $1", here)
    with pytest.raises(asyncpg.ForeignKeyViolationError):
        await pool.execute(
            """INSERT INTO bed_allocations (bed_id, shelter_id, kind, during)
               VALUES ($1, $2, 'out_of_service', tstzrange(now(), now() + interval '1 day'))""",
            bed,
            other,
        )
