"""The retention run against the rule (hypothesis, "database comparison"): cases closed at
any age (and open ones), runs at any times with any periods; after each run every case's
state in the database is what ``domain.retention.decide`` gives when applied run by run,
open cases are never touched, ciphertexts are gone exactly from erased cases, and the
incident statistics never change."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.risk.domain.retention import decide, next_state
from services.risk.incidents import store as incidents
from services.risk.retention.service import apply_retention
from shared import db
from shared.config import with_database
from tests.conftest import fresh_database

T = datetime(2030, 1, 1, tzinfo=UTC)
case_st = st.none() | st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=1500))


async def _seed(conn, closed_ago: list[timedelta | None]) -> list[uuid.UUID]:
    await conn.execute("DELETE FROM incidents")
    await conn.execute("DELETE FROM cases")
    ids = []
    for ago in closed_ago:
        cid = uuid.uuid4()
        await conn.execute(
            """INSERT INTO cases (id, country, region, line_of_defence, party, personal, opened_by, status, closed_at)
               VALUES ($1, 'GT', 'GT-16', 'environment', '{"adults": 1}', '\\x00', 'test', $2, $3)""",
            cid,
            "open" if ago is None else "closed",
            None if ago is None else T - ago,
        )
        await conn.execute(
            """INSERT INTO incidents (id, occurred_on, country, region, scope, aggression_types,
                   perpetrator_types, gender_components, gender_component_types, close_people_attacked,
                   case_id, recorded_by)
               VALUES ($1, '2029-06-01', 'GT', 'GT-16', 'individual', '{threats}', '{unknown}', false, '{}',
                       false, $2, 'test')""",
            uuid.uuid4(),
            cid,
        )
        ids.append(cid)
    return ids


def test_the_run_matches_the_rule(pg_url):
    loop = asyncio.new_event_loop()
    name = loop.run_until_complete(fresh_database(pg_url, "risk"))
    pool = loop.run_until_complete(db.create_pool(with_database(pg_url, name), min_size=1, max_size=2))

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        closed_ago=st.lists(case_st, min_size=1, max_size=6),
        runs=st.lists(
            st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=900)), min_size=1, max_size=4
        ),
        block=st.integers(0, 800),
        erase=st.integers(0, 800),
    )
    def check(closed_ago, runs, block, erase):
        async def scenario():
            async with pool.acquire() as conn:
                ids = await _seed(conn, closed_ago)
                stats = await incidents.incident_stats(conn, start=None, end=None, countries=None)
            model = {
                cid: {"state": "active", "closed_at": None if ago is None else T - ago, "blocked_at": None}
                for cid, ago in zip(ids, closed_ago, strict=True)
            }
            now = T
            for gap in runs:
                now += gap
                expected = {"block": 0, "erase": 0}
                for m in model.values():
                    action = decide(
                        state=m["state"],
                        closed_at=m["closed_at"],
                        blocked_at=m["blocked_at"],
                        now=now,
                        block_days=block,
                        erase_days=erase,
                    )
                    if action == "block":
                        m["blocked_at"] = now
                    if action != "keep":
                        expected[action] += 1
                    m["state"] = next_state(m["state"], action)
                done = await apply_retention(pool, block_days=block, erase_days=erase, now=now)
                assert (done.blocked, done.erased) == (expected["block"], expected["erase"])
                async with pool.acquire() as conn:
                    rows = await conn.fetch(
                        "SELECT id, status, personal_data, personal IS NULL AS gone, personal_data_blocked_at FROM cases"
                    )
                    assert await incidents.incident_stats(conn, start=None, end=None, countries=None) == stats
                for r in rows:
                    m = model[r["id"]]
                    assert r["personal_data"] == m["state"]
                    assert r["gone"] == (m["state"] == "erased")
                    if r["status"] == "open":
                        assert r["personal_data"] == "active"
                    if m["state"] == "blocked":
                        assert r["personal_data_blocked_at"] == m["blocked_at"]

        loop.run_until_complete(scenario())

    try:
        check()
    finally:
        loop.run_until_complete(pool.close())
        loop.close()
