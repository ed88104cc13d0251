"""Realistic data for the benchmark: shelters and beds through the API as a coordinator
would create them, and years of past placements straight into the database (a million
stays cannot be lived through HTTP in a benchmark run)."""

from __future__ import annotations

import random

import asyncpg

from deploy.stack import Stack

COUNTRIES = {
    "MX": ["MX-CHP", "MX-OAX", "MX-GRO", "MX-CMX", "MX-VER", "MX-CHH"],
    "GT": ["GT-16", "GT-13", "GT-17", "GT-01", "GT-14"],
    "SV": ["SV-SS", "SV-LI", "SV-MO", "SV-US"],
    "HN": ["HN-FM", "HN-AT", "HN-CL", "HN-IN"],
    "CR": ["CR-SJ", "CR-A", "CR-P", "CR-L"],
}
KINDS = ["shelter", "safe_house", "self_care_centre", "hostel", "halfway_house"]


def shelters_and_beds(
    stack: Stack, *, shelters: int = 200, beds_per_shelter: int = 25, seed: int = 1, prefix: str = ""
) -> list[str]:
    rnd = random.Random(seed)
    ids = []
    with stack.client("shelters", "shelter_coordinator") as client:
        countries = list(COUNTRIES)
        for i in range(shelters):
            country = countries[i % len(countries)]
            adult = beds_per_shelter - beds_per_shelter // 5
            body = {
                "code": f"{prefix}{country}-{i:03d}",
                "kind": rnd.choice(KINDS),
                "country": country,
                "region": rnd.choice(COUNTRIES[country]),
                "address": f"Synthetic address {i}",
                "contact": f"+000 {i:04d}",
                "accepts": ["women", "children", "families"],
                "accessible": i % 3 == 0,
                "services": ["psychological_care", "legal_advice"],
                "beds": [
                    {"room": "A", "count": adult, "accessible": i % 3 == 0},
                    {"room": "B", "count": beds_per_shelter - adult, "child_sized": True},
                ],
            }
            response = client.post("/shelters", json=body)
            response.raise_for_status()
            ids.append(response.json()["id"])
    return ids


async def analyze(dsn: str) -> None:
    """Statistics for what was just seeded, as a running system has them: without it the
    first minute after seeding measures autovacuum changing the plans (a capacity step at
    20 cases/s once went from p99 50 to 530 ms)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("ANALYZE shelters")
        await conn.execute("ANALYZE beds")
        await conn.execute("ANALYZE bed_allocations")
    finally:
        await conn.close()


async def current_occupancy(dsn: str, *, every: int = 2) -> int:
    """Families staying now: one bed in ``every`` taken by a checked-in stay from 10 days
    ago to 20 days ahead, so every measurement sees a realistically occupied house."""
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            await conn.execute(
                """CREATE TEMP TABLE occ ON COMMIT DROP AS
                   SELECT gen_random_uuid() AS placement_id, b.id AS bed_id, b.shelter_id
                   FROM (SELECT id, shelter_id, row_number() OVER (ORDER BY id) AS rn FROM beds) b
                   WHERE b.rn % $1 = 0""",
                every,
            )
            await conn.execute(
                """INSERT INTO placements (id, case_id, country, region, adults, level, level_rank, status,
                                           shelter_id, starts_at, expected_end, requested_at, checked_in_at, source)
                   SELECT o.placement_id, gen_random_uuid(), s.country, s.region, 1, 'high', 2, 'checked_in',
                          o.shelter_id, now() - interval '10 days', now() + interval '20 days',
                          now() - interval '11 days', now() - interval '10 days', 'bench'
                   FROM occ o JOIN shelters s ON s.id = o.shelter_id"""
            )
            await conn.execute(
                """INSERT INTO bed_allocations (bed_id, shelter_id, placement_id, kind, during, active)
                   SELECT bed_id, shelter_id, placement_id, 'placement',
                          tstzrange(now() - interval '10 days', now() + interval '20 days'), true
                   FROM occ"""
            )
        await conn.execute("VACUUM ANALYZE bed_allocations")
        return await conn.fetchval("SELECT count(*) FROM bed_allocations WHERE active")
    finally:
        await conn.close()


async def past_placements(dsn: str, count: int, batch: int = 100_000) -> None:
    """Ended stays over the past years, each with its bed allocation. Stays of one bed
    follow each other back to back (25 days apart), so history never overlaps."""
    conn = await asyncpg.connect(dsn)
    try:
        beds = await conn.fetchval("SELECT count(*) FROM beds")
        already = await conn.fetchval(
            "SELECT count(*) FROM placements WHERE source = 'bench' AND status = 'ended'"
        )
        done = 0
        while done < count:
            n = min(batch, count - done)
            async with conn.transaction():
                await conn.execute(
                    """
                    CREATE TEMP TABLE hist ON COMMIT DROP AS
                    WITH b AS (SELECT id, shelter_id, row_number() OVER (ORDER BY id) - 1 AS rn FROM beds)
                    SELECT gen_random_uuid() AS placement_id, b.id AS bed_id, b.shelter_id,
                           now() - make_interval(days => 25 * (1 + ((g - 1) / $3)::int)) AS started
                    FROM generate_series($1 + 1, $1 + $2) AS g
                    JOIN b ON b.rn = (g - 1) % $3
                    """,
                    already + done,
                    n,
                    beds,
                )
                await conn.execute(
                    """
                    INSERT INTO placements (id, case_id, country, region, adults, level, level_rank, status,
                                            shelter_id, starts_at, expected_end, ended_at, requested_at,
                                            end_reason, source)
                    SELECT h.placement_id, gen_random_uuid(), s.country, s.region, 1, 'high', 2, 'ended',
                           h.shelter_id, h.started, h.started + interval '20 days',
                           h.started + interval '20 days', h.started - interval '1 day', 'checked_out', 'bench'
                    FROM hist h JOIN shelters s ON s.id = h.shelter_id
                    """
                )
                await conn.execute(
                    """
                    INSERT INTO bed_allocations (bed_id, shelter_id, placement_id, kind, during, active)
                    SELECT bed_id, shelter_id, placement_id, 'placement',
                           tstzrange(started, started + interval '20 days'), $1
                    FROM hist
                    """,
                    HISTORY_ACTIVE,
                )
            done += n
        # What autovacuum would long have done on a live system: measure the steady state,
        # not the aftermath of a bulk load.
        await conn.execute("VACUUM ANALYZE placements")
        await conn.execute("VACUUM ANALYZE bed_allocations")
        await conn.execute("CHECKPOINT")
    finally:
        await conn.close()


# Check-out closes the stay's range and deactivates its allocation (services/shelters).
HISTORY_ACTIVE = False


def fund(stack: Stack, *, country: str = "GT", amount: int = 50_000_000) -> str | None:
    """A fund with money, so opened applications have somewhere to draw from."""
    with stack.client("funds", "fund_admin") as client:
        response = client.post(
            "/funds", json={"name": "Bench fund", "currency": "USD", "countries": [country]}
        )
        if response.status_code >= 300:
            return None
        fund_id = response.json()["id"]
        client.post(f"/funds/{fund_id}/deposits", json={"amount": amount, "currency": "USD"})
        return fund_id
