"""Shelters and her consent (risk decides it; the events carry it): no automatic request
without ``shelters`` in the assessment's ``shared_with``; a revocation releases what is
not checked in (waitlist, holds, confirmed placements), each cancellation caused by it,
and leaves a family already checked in where she is."""

from __future__ import annotations

import uuid

from services.shelters import handlers
from services.shelters.placements import lifecycle, schemas
from shared.consumer import EventContext
from shared.events import AssessmentRecorded, ConsentRevoked, Party, new_event
from tests.shelters.helpers import ADMIN_PRINCIPAL, CONFIG, known_case, make_shelter, outbox_events, runtime


def assessed(case_id: uuid.UUID, shared_with: list[str]):
    payload = AssessmentRecorded(
        assessment_id=uuid.uuid4(),
        instrument_version="gender-v1",
        computed_level="extreme",
        level="extreme",
        scores={"gender": 7},
        measures=["shelter"],
        country="GT",
        region="GT-14",
        party=Party(adults=1),
        shared_with=shared_with,
    )
    return new_event(payload, producer="risk", case_id=case_id)


def revoked(case_id: uuid.UUID, purpose: str = "shelters"):
    return new_event(ConsentRevoked(purpose=purpose), producer="risk", case_id=case_id)


async def handle(pool, event) -> list:
    """Run the RISK handler of the event as the consumer would; the events it wrote."""
    await pool.execute("DELETE FROM outbox")
    async with pool.acquire() as conn, conn.transaction():
        await handlers.RISK[type(event.data)](EventContext(conn=conn, config=CONFIG), event)
    async with pool.acquire() as conn:
        return await outbox_events(conn)


async def placements_of(pool, case_id):
    return await pool.fetch("SELECT status, end_reason FROM placements WHERE case_id = $1", case_id)


async def test_no_request_without_consent_to_share_with_shelters(pool):
    await make_shelter(pool, code="una", country="GT", beds=2, region="GT-17")
    case_id = uuid.uuid4()
    for shared in ([], ["funds", "statistics", "contact"]):
        assert await handle(pool, assessed(case_id, shared)) == []
    assert await placements_of(pool, case_id) == []
    # The case is still known (staff may still ask beds for it by hand, with her).
    assert await pool.fetchval("SELECT status FROM cases WHERE id = $1", case_id) == "open"
    written = await handle(pool, assessed(case_id, ["shelters"]))
    assert [e.type.rsplit(".", 1)[1] for e in written] == ["requested", "held"]


async def test_revocation_releases_what_is_not_checked_in_and_keeps_who_is(pool):
    await make_shelter(pool, code="una", country="GT", beds=1, region="GT-17")
    rt = runtime(pool)
    lives, holds, waits = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    for case_id in (lives, holds, waits):
        await known_case(pool, case_id, "GT")
    await handle(pool, assessed(lives, ["shelters"]))
    (p,) = await pool.fetch("SELECT id FROM placements WHERE case_id = $1", lives)
    await lifecycle.confirm(rt, ADMIN_PRINCIPAL, p["id"], schemas.Confirm())
    await lifecycle.check_in(rt, ADMIN_PRINCIPAL, p["id"])
    await make_shelter(pool, code="dos", country="GT", beds=1, region="GT-17")
    await handle(pool, assessed(holds, ["shelters"]))
    await handle(pool, assessed(waits, ["shelters"]))  # no bed left: waitlisted
    assert [r["status"] for r in await placements_of(pool, waits)] == ["requested"]

    # Another purpose's revocation is not shelters' business.
    assert await handle(pool, revoked(holds, "funds")) == []
    for case_id in (lives, holds, waits):
        event = revoked(case_id)
        written = await handle(pool, event)
        for e in written:
            if e.type.endswith(".cancelled"):
                assert e.causation_id == event.id and e.data.reason == "consent_revoked"
    assert [tuple(r) for r in await placements_of(pool, lives)] == [("checked_in", None)]
    assert [tuple(r) for r in await placements_of(pool, holds)] == [("cancelled", "consent_revoked")]
    assert [tuple(r) for r in await placements_of(pool, waits)] == [("cancelled", "consent_revoked")]
