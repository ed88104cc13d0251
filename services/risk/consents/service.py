"""Use cases of consents: record one (per purpose, one standing at a time), revoke it, and
the list. Each change locks the case row, like an assessment does, so an assessment sees
a consent either before or after its change, never half; each writes its event through
the outbox and its timeline step in the same transaction."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import asyncpg

from services.risk.cases.service import case_in_scope, own_event
from services.risk.consents import store
from services.risk.consents.schemas import ConsentCreate, Consents, ConsentView
from services.risk.domain import consent as rules
from services.risk.timeline import store as timeline
from shared.auth import Principal
from shared.errors import Conflict, Invalid, NotFound
from shared.events import CONSENT_PURPOSES, ConsentGiven, ConsentRevoked, Envelope
from shared.logging import get_logger
from shared.outbox import enqueue
from shared.runtime import Runtime

log = get_logger(__name__)


def rule_of(row: asyncpg.Record) -> rules.Consent:
    return rules.Consent(
        purpose=row["purpose"], given_at=row["given_at"], until=row["until"], revoked_at=row["revoked_at"]
    )


def _view(row: asyncpg.Record) -> ConsentView:
    return ConsentView(
        id=row["id"],
        case_id=row["case_id"],
        purpose=row["purpose"],
        given_at=row["given_at"],
        until=row["until"],
        current=rules.current(rule_of(row), row["today"]),
        recorded_by=row["recorded_by"],
        recorded_at=row["recorded_at"],
        revoked_at=row["revoked_at"],
        revoked_by=row["revoked_by"],
    )


async def shared_with_at(conn: asyncpg.Connection, case_id: uuid.UUID, at: datetime) -> list:
    """The purposes her consents cover at ``at`` (risk's decision, carried by its events)."""
    return rules.shared_with([rule_of(r) for r in await store.of_case(conn, case_id)], at)


def _until_words(until: date | None) -> str:
    return f" until {until.isoformat()}" if until else ""


async def give(rt: Runtime, principal: Principal, case_id: uuid.UUID, body: ConsentCreate) -> ConsentView:
    async with rt.pool.acquire() as conn, conn.transaction():
        case = await case_in_scope(conn, principal, case_id, for_update=True)
        if case["status"] != "open":
            raise Conflict("the case is closed; nothing more is shared for it", code="case.closed")
        row = await give_tx(conn, principal, case_id, body)
    log.info("consent.given", case_id=str(case_id), purpose=body.purpose)
    return _view(row)


async def give_tx(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, body: ConsentCreate
) -> asyncpg.Record:
    """Record her consent to one purpose, its event and its timeline step, in the caller's
    transaction (which holds the case row's lock): ``give`` and the intake use it."""
    if body.until is not None and body.until < (await store.now(conn)).date():
        raise Invalid("until must be today or a later day", code="consent.until_in_past")
    standing = await store.current_of(conn, case_id, body.purpose)
    if standing is not None:
        raise Conflict(
            "she already consented to this purpose; revoke that consent first to record another",
            code="consent.already_given",
            extra={"consent_id": str(standing["id"])},
        )
    event_id = uuid.uuid4()
    row = await store.insert_consent(
        conn,
        consent_id=uuid.uuid4(),
        case_id=case_id,
        purpose=body.purpose,
        until=body.until,
        recorded_by=principal.sub,
        event_id=event_id,
    )
    payload = ConsentGiven(purpose=body.purpose, given_at=row["given_at"], until=body.until)
    event = own_event(payload, case_id=case_id, at=row["recorded_at"], event_id=event_id)
    await enqueue(conn, event)
    await timeline.add_event_step(
        conn,
        case_id,
        event,
        f"consent given: {rules.PURPOSE_WORDS[body.purpose]}{_until_words(body.until)}",
    )
    return row


async def give_at_intake(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, purposes: list[str]
) -> list[tuple[Envelope, str]]:
    """Her consents ticked on the intake form, recorded in the case's own transaction (the
    case is new: nothing stands yet, and none has an end day). Returns their events and
    timeline steps, for the intake to write with its own in one statement each."""
    if not purposes:
        return []
    event_ids = [uuid.uuid4() for _ in purposes]
    rows = await store.insert_intake_consents(
        conn,
        case_id=case_id,
        purposes=purposes,
        recorded_by=principal.sub,
        consent_ids=[uuid.uuid4() for _ in purposes],
        event_ids=event_ids,
    )
    by_event = {row["event_id"]: row for row in rows}
    given = []
    for event_id in event_ids:  # in the order she gave them
        row = by_event[event_id]
        payload = ConsentGiven(purpose=row["purpose"], given_at=row["given_at"], until=None)
        event = own_event(payload, case_id=case_id, at=row["recorded_at"], event_id=event_id)
        given.append((event, f"consent given: {rules.PURPOSE_WORDS[row['purpose']]}"))
    return given


async def revoke(rt: Runtime, principal: Principal, case_id: uuid.UUID, purpose: str) -> ConsentView:
    """What has not happened yet for the purpose stops (shelters and funds act on the
    event); what was done stays done."""
    if purpose not in CONSENT_PURPOSES:
        raise NotFound(
            f"no such purpose; the purposes are {', '.join(CONSENT_PURPOSES)}",
            code="consent.unknown_purpose",
            extra={"purposes": list(CONSENT_PURPOSES)},
        )
    event_id = uuid.uuid4()
    async with rt.pool.acquire() as conn, conn.transaction():
        # A closed case may still have its consents revoked: she may ask it any time.
        await case_in_scope(conn, principal, case_id, for_update=True)
        standing = await store.current_of(conn, case_id, purpose)
        if standing is None:
            raise NotFound("she has no standing consent for this purpose", code="consent.not_found")
        row = await store.revoke(conn, standing["id"], by=principal.sub, event_id=event_id)
        given_event = await conn.fetchval("SELECT event_id FROM consents WHERE id = $1", standing["id"])
        payload = ConsentRevoked(purpose=purpose, until=row["until"])
        event = own_event(
            payload, case_id=case_id, at=row["revoked_at"], causation_id=given_event, event_id=event_id
        )
        await enqueue(conn, event)
        await timeline.add_event_step(
            conn, case_id, event, f"consent revoked: {rules.PURPOSE_WORDS[purpose]}"
        )
    log.info("consent.revoked", case_id=str(case_id), purpose=purpose)
    return _view(row)


async def list_consents(rt: Runtime, principal: Principal, case_id: uuid.UUID) -> Consents:
    async with rt.pool.acquire() as conn:
        await case_in_scope(conn, principal, case_id)
        rows = await store.of_case(conn, case_id)
        now = await store.now(conn)
    return Consents(
        case_id=case_id,
        shared_with=rules.shared_with([rule_of(r) for r in rows], now),
        items=[_view(r) for r in rows],
    )
