"""Every event caused by another names it (``causation_id``) and never predates it: risk's
timeline orders a case's steps by ``occurred_at``, so a relocation stamped before the
compromise that caused it showed up before it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from services.shelters.compromise.schemas import Compromise
from services.shelters.compromise.service import compromise
from services.shelters.placements import lifecycle, schemas, service
from shared.events import AssessmentRecorded, CaseClosed, Envelope, Party, new_event
from tests.shelters.helpers import ADMIN_PRINCIPAL, CONFIG, known_case, make_shelter, outbox_events, runtime


async def request(pool, *, level: str = "high", case_id: uuid.UUID | None = None) -> schemas.Placement:
    body = schemas.PlacementCreate(
        case_id=case_id or uuid.uuid4(), country="MX", region="MX-CHP", level=level
    )
    await known_case(pool, body.case_id, "MX")
    return await service.request_placement(runtime(pool), ADMIN_PRINCIPAL, body)


async def events_of(pool, action) -> list[Envelope]:
    """The events ``action`` writes, in the order it writes them."""
    await pool.execute("DELETE FROM outbox")
    await action
    async with pool.acquire() as conn:
        return await outbox_events(conn)


def caused_by(cause: Envelope, effect: Envelope) -> bool:
    return (
        effect.causation_id == cause.id
        and effect.correlation_id == cause.correlation_id
        and effect.occurred_at >= cause.occurred_at
    )


async def test_relocations_are_caused_by_the_compromise_and_come_after_it(pool):
    rt = runtime(pool)
    first = await make_shelter(pool, code="uno", country="MX", beds=2)
    arrived = await request(pool, level="extreme")
    for step in (lifecycle.confirm(rt, ADMIN_PRINCIPAL, arrived.id, schemas.Confirm()),
                 lifecycle.check_in(rt, ADMIN_PRINCIPAL, arrived.id)):  # fmt: skip
        await step
    waiting = await request(pool, level="high")
    assert arrived.shelter_id == waiting.shelter_id == first
    await make_shelter(pool, code="dos", country="MX", beds=1, region="MX-PUE")  # room for one

    evs = await events_of(pool, compromise(rt, ADMIN_PRINCIPAL, first, Compromise(reason="vigilancia")))

    assert evs[0].type == "amparo.shelters.shelter.compromised"  # written first, too
    compromised, relocation = evs[0], evs[1:]
    assert {e.type.rsplit(".", 1)[1] for e in relocation} == {"cancelled", "requested", "held", "waitlisted"}
    assert {e.case_id for e in relocation} == {arrived.case_id, waiting.case_id}
    for e in relocation:
        assert caused_by(compromised, e), (e.type, e.causation_id, compromised.id)
    (held,) = [e for e in relocation if e.type.endswith(".held")]
    assert held.data.relocation_of == arrived.id

    # Arriving at the new shelter ends the stay she left: caused by that check-in.
    new = held.data.placement_id
    await lifecycle.confirm(rt, ADMIN_PRINCIPAL, new, schemas.Confirm())
    evs = await events_of(pool, lifecycle.check_in(rt, ADMIN_PRINCIPAL, new))
    checked_in, ended = evs
    assert ended.type.endswith(".ended") and ended.data.reason == "relocated"
    assert ended.data.placement_id == arrived.id and caused_by(checked_in, ended)


async def test_a_hold_from_the_waitlist_is_caused_by_what_freed_the_beds(pool):
    rt = runtime(pool)
    await make_shelter(pool, code="una-cama", country="MX", beds=1)
    first, second, third, fourth = [await request(pool) for _ in range(4)]
    assert first.status == "held" and second.waitlisted and third.waitlisted and fourth.waitlisted

    # A cancellation hands the bed on.
    evs = await events_of(pool, lifecycle.cancel(rt, ADMIN_PRINCIPAL, first.id, schemas.Cancel()))
    cancelled, held = evs
    assert held.data.placement_id == second.id and caused_by(cancelled, held)

    # So does a check-out.
    await lifecycle.confirm(rt, ADMIN_PRINCIPAL, second.id, schemas.Confirm())
    await lifecycle.check_in(rt, ADMIN_PRINCIPAL, second.id)
    evs = await events_of(pool, lifecycle.check_out(rt, ADMIN_PRINCIPAL, second.id))
    ended, held = evs
    assert held.data.placement_id == third.id and caused_by(ended, held)

    # And an expired hold.
    later = datetime.now(UTC) + timedelta(hours=CONFIG.hold_hours, minutes=1)

    async def expire():
        async with pool.acquire() as conn, conn.transaction():
            assert await lifecycle.expire_holds_tx(conn, CONFIG, now=later) == 1

    evs = await events_of(pool, expire())
    expired, held = evs
    assert expired.data.placement_id == third.id
    assert held.data.placement_id == fourth.id and caused_by(expired, held)


async def test_events_from_risk_cause_the_requests_holds_and_cancellations(pool):
    await make_shelter(pool, code="una", country="GT", beds=1, region="GT-17")
    case_a, case_b = uuid.uuid4(), uuid.uuid4()

    def assessment(case_id):
        payload = AssessmentRecorded(
            assessment_id=uuid.uuid4(),
            instrument_version="2024.1",
            computed_level="extreme",
            level="extreme",
            scores={"gender": 7},
            measures=["shelter"],
            country="GT",
            region="GT-14",
            party=Party(adults=1),
            shared_with=["shelters", "funds"],
        )
        return new_event(payload, producer="risk", case_id=case_id)

    async def handle(event, handler):
        async with pool.acquire() as conn, conn.transaction():
            await handler(conn, CONFIG, event)

    a = assessment(case_a)
    requested, held = await events_of(pool, handle(a, service.on_assessment))
    assert caused_by(a, requested) and caused_by(a, held)
    b = assessment(case_b)
    requested, waitlisted = await events_of(pool, handle(b, service.on_assessment))
    assert caused_by(b, requested) and caused_by(b, waitlisted)

    # Case A is closed: its hold is cancelled because of that, and B's hold because of the cancellation.
    closed = new_event(CaseClosed(reason="risk_resolved"), producer="risk", case_id=case_a)
    cancelled, held = await events_of(pool, handle(closed, lifecycle.on_case_closed))
    assert cancelled.case_id == case_a and caused_by(closed, cancelled)
    assert held.case_id == case_b and caused_by(cancelled, held)
