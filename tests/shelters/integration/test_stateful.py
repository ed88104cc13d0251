"""The placement lifecycle against a small model, on the real database.

Invariants checked after every step: occupancy never exceeds the beds, a bed is never
in two overlapping active allocations, a placement keeps beds exactly while it is held,
confirmed or checked in (so expired holds free their beds), statuses only move along
the lifecycle, and no waiting request fits in the beds that are free.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from services.shelters.compromise.schemas import Compromise
from services.shelters.compromise.service import compromise
from services.shelters.config import SheltersConfig
from services.shelters.domain import lifecycle as rules
from services.shelters.domain.matching import choose_shelter
from services.shelters.domain.waitlist import LEVEL_RANK
from services.shelters.placements import holds, lifecycle, schemas, service, store
from services.shelters.registry import service as registry
from services.shelters.registry.schemas import BedBatch, ShelterCreate
from shared import db
from shared.config import with_database
from shared.errors import Conflict
from shared.events import Party
from tests.conftest import fresh_database
from tests.shelters.helpers import ADMIN_PRINCIPAL as ADMIN
from tests.shelters.helpers import runtime

SETTINGS = SheltersConfig(hold_hours=4.0)
ACTIONS = {
    "confirm": ("confirmed", lambda rt, pid: lifecycle.confirm(rt, ADMIN, pid, schemas.Confirm())),
    "check_in": ("checked_in", lambda rt, pid: lifecycle.check_in(rt, ADMIN, pid)),
    "check_out": ("ended", lambda rt, pid: lifecycle.check_out(rt, ADMIN, pid)),
    "cancel": ("cancelled", lambda rt, pid: lifecycle.cancel(rt, ADMIN, pid, schemas.Cancel())),
}


class PlacementMachine(RuleBasedStateMachine):
    def __init__(self, loop, pg_url):
        super().__init__()
        self.loop = loop
        name = self.run(fresh_database(pg_url, "shelters"))
        self.pool = self.run(db.create_pool(with_database(pg_url, name), min_size=1, max_size=4))
        self.rt = runtime(self.pool, SETTINGS)
        for code, country, region, beds in (
            ("norte", "MX", "MX-CHH", [("A", 2, False), ("N", 1, True)]),
            ("sur", "GT", "GT-17", [("A", 2, False)]),
        ):
            body = ShelterCreate(
                code=code,
                kind="shelter",
                country=country,
                region=region,
                address="secret",
                beds=[BedBatch(room=r, count=n, child_sized=c) for r, n, c in beds],
            )
            self.run(registry.create_shelter(self.rt, ADMIN, body))
        self.total_beds = 5
        self.model: dict[uuid.UUID, str] = {}

    def run(self, coro):
        return self.loop.run_until_complete(coro)

    def teardown(self):
        self.run(asyncio.wait_for(self.pool.close(), timeout=10))

    def sync(self) -> None:
        """Statuses only move along the lifecycle; requests may get holds by themselves."""
        rows = self.run(
            self.pool.fetch("SELECT id, status, needs_relocation FROM placements ORDER BY requested_at, id")
        )
        for r in rows:
            before = self.model.get(r["id"])
            if before is not None and before != r["status"]:
                change = (before, r["status"])
                # Waiting requests get holds by themselves; a family waiting to be
                # relocated leaves when its new place checks it in.
                allowed = change == ("requested", "held") or (
                    r["needs_relocation"] and change == ("checked_in", "ended")
                )
                assert allowed, change
            self.model[r["id"]] = r["status"]

    @rule(
        adults=st.integers(1, 2),
        children=st.lists(st.integers(0, 17), max_size=2),
        level=st.sampled_from(list(LEVEL_RANK)),
    )
    def request(self, adults, children, level):
        async def go():
            async with self.pool.acquire() as conn, conn.transaction():
                return await service.open_request_tx(
                    conn,
                    SETTINGS,
                    case_id=uuid.uuid4(),
                    country="MX",
                    region="MX-CHP",
                    party=Party(adults=adults, children_ages=children),
                    level=level,
                    excluded_regions=[],
                )

        placement_id, match = self.run(go())
        self.model[placement_id] = "requested"
        self.sync()
        assert self.model[placement_id] == ("held" if match else "requested")

    @precondition(lambda self: self.model)
    @rule(data=st.data(), action=st.sampled_from(sorted(ACTIONS)))
    def act(self, data, action):
        # By position in creation order, not by id: ids are random per run, and a replay
        # (when hypothesis shrinks a failure) must pick the same placement again.
        placement_id = list(self.model)[data.draw(st.integers(0, len(self.model) - 1))]
        target, call = ACTIONS[action]
        before = self.model[placement_id]
        try:
            out = self.run(call(self.rt, placement_id))
        except Conflict:
            assert not rules.can_transition(before, target)
            return
        assert rules.can_transition(before, target)
        assert out.status == target
        self.model[placement_id] = target
        self.sync()

    @precondition(lambda self: self.total_beds < 9)
    @rule(child_sized=st.booleans(), shelter=st.sampled_from(["norte", "sur"]))
    def add_bed(self, child_sized, shelter):
        async def go():
            shelter_id = await self.pool.fetchval("SELECT id FROM shelters WHERE code = $1", shelter)
            batch = BedBatch(room="Z", count=1, child_sized=child_sized)
            return await registry.add_beds(self.rt, ADMIN, shelter_id, batch)

        self.run(go())
        self.total_beds += 1
        self.sync()

    @rule(shelter=st.sampled_from(["norte", "sur"]))
    def compromise_or_reopen(self, shelter):
        async def go():
            row = await self.pool.fetchrow("SELECT id, status FROM shelters WHERE code = $1", shelter)
            if row["status"] == "compromised":
                await registry.reopen(self.rt, ADMIN, row["id"])
                return []
            affected = await self.pool.fetch(
                "SELECT id, status FROM placements WHERE shelter_id = $1 AND status IN ('held', 'confirmed', 'checked_in')",
                row["id"],
            )
            result = await compromise(self.rt, ADMIN, row["id"], Compromise(reason="seen"))
            assert result.affected_placements == len(affected)
            return affected

        affected = self.run(go())
        for r in affected:
            if r["status"] != "checked_in":  # not arrived yet: replaced by the relocation
                self.model[r["id"]] = "cancelled"
        self.sync()
        relocations = self.run(
            self.pool.fetchval(
                "SELECT count(*) FROM placements WHERE relocation_of = ANY($1::uuid[])",
                [r["id"] for r in affected],
            )
        )
        assert relocations == len(affected)
        in_compromised = self.run(
            self.pool.fetchval(
                """SELECT count(*) FROM placements p JOIN shelters s ON s.id = p.shelter_id
                   WHERE s.status = 'compromised' AND p.status IN ('held', 'confirmed')"""
            )
        )
        assert in_compromised == 0

    @rule()
    def time_passes_beyond_every_hold(self):
        later = datetime.now(UTC) + timedelta(hours=SETTINGS.hold_hours, seconds=1)

        async def go():
            async with self.pool.acquire() as conn, conn.transaction():
                return await lifecycle.expire_holds_tx(conn, SETTINGS, now=later)

        held = {pid for pid, s in self.model.items() if s == "held"}
        self.run(go())
        rows = self.run(
            self.pool.fetch("SELECT id, status FROM placements WHERE id = ANY($1::uuid[])", list(held))
        )
        assert all(r["status"] == "expired" for r in rows)
        for pid in held:
            self.model[pid] = "expired"
        self.sync()

    @invariant()
    def beds_are_never_double_booked(self):
        overlaps = self.run(
            self.pool.fetchval(
                """SELECT count(*) FROM bed_allocations a JOIN bed_allocations b
                   ON a.bed_id = b.bed_id AND a.id < b.id AND a.active AND b.active AND a.during && b.during"""
            )
        )
        assert overlaps == 0
        active = self.run(self.pool.fetchval("SELECT count(*) FROM bed_allocations WHERE active"))
        assert active <= self.total_beds

    @invariant()
    def placements_keep_beds_exactly_while_active(self):
        rows = self.run(
            self.pool.fetch(
                """SELECT p.id, p.status, p.adults + cardinality(p.children_ages) AS size, p.shelter_id,
                          count(a.id) AS beds, count(a.id) FILTER (WHERE a.shelter_id <> p.shelter_id) AS elsewhere
                   FROM placements p LEFT JOIN bed_allocations a ON a.placement_id = p.id AND a.active
                   GROUP BY p.id"""
            )
        )
        for r in rows:
            expected = r["size"] if r["status"] in rules.KEEPS_BEDS else 0
            assert r["beds"] == expected, dict(r)
            assert r["elsewhere"] == 0

    @invariant()
    def no_waiting_request_fits_in_free_beds(self):
        async def go():
            async with self.pool.acquire() as conn:
                now = datetime.now(UTC)
                waiting = await conn.fetch("SELECT * FROM placements WHERE status = 'requested'")
                for p in waiting:
                    options = await store.candidates(conn, now, now + timedelta(days=p["stay_days"]))
                    need = holds.need_of(p)
                    match = choose_shelter(
                        need, home_country="MX", home_region="MX-CHP", excluded=[], candidates=options
                    )
                    assert match is None, f"waiting placement {p['id']} fits in {match.code}"

        self.run(go())


def test_placement_lifecycle_against_model(pg_url):
    loop = asyncio.new_event_loop()
    try:
        run_state_machine_as_test(
            lambda: PlacementMachine(loop, pg_url),
            settings=settings(
                max_examples=20,
                stateful_step_count=20,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        loop.close()
