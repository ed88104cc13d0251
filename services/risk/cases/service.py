"""Use cases of cases: intake, the audited read, closing, the lists and the cases due for a
new assessment. Also what the other aggregates of risk share: the case in the caller's
scope, the cipher, and risk's own events."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg
import msgspec

from services.risk.cases import store
from services.risk.cases.schemas import (
    AuditEntry,
    CaseCreate,
    CaseDetail,
    CaseSummary,
    DueCase,
    PartyView,
    PersonalData,
)
from services.risk.consents import store as consents
from services.risk.domain import reassessment
from services.risk.search import index as name_index
from services.risk.timeline import store as timeline
from shared import idempotency
from shared.audit_log import check_range
from shared.auth import Principal
from shared.crypto import PiiCipher
from shared.errors import Conflict, NotFound
from shared.events import CaseClosed, CaseOpened, Envelope, P, Party, new_event
from shared.idempotency import IdempotentRequest
from shared.logging import get_logger
from shared.outbox import enqueue
from shared.pagination import Page
from shared.runtime import Runtime

log = get_logger(__name__)
PRODUCER = "risk"
PERSONAL_DATA_READ = "case.personal_data.read"
PERSONAL_DATA_BLOCKED = "case.personal_data_blocked"
PERSONAL_DATA_ERASED = "case.personal_data_erased"


def own_event(
    payload: P,
    *,
    case_id: uuid.UUID,
    at: datetime,
    causation_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
) -> Envelope[P]:
    """One of risk's own events. It carries the database time of the change it announces,
    so the timeline and the re-assessment rule compare times from one clock."""
    event = new_event(payload, producer=PRODUCER, case_id=case_id)
    return msgspec.structs.replace(event, id=event_id or event.id, occurred_at=at, causation_id=causation_id)


def cipher_of(rt: Runtime) -> PiiCipher:
    # Never None here: a service with needs_pii_key refuses to start without its key.
    assert rt.cipher is not None
    return rt.cipher


async def case_in_scope(
    conn: asyncpg.Connection,
    principal: Principal,
    case_id: uuid.UUID,
    *,
    for_update: bool = False,
    personal: bool = False,
) -> asyncpg.Record:
    """The case, if the caller may see it. A case outside her countries answers exactly
    like one that does not exist: a 403 would tell her that the id is a case."""
    row = await store.get_case(conn, case_id, for_update=for_update, personal=personal)
    if row is None or not principal.can_see(row["country"]):
        raise case_not_found()
    return row


def case_not_found() -> NotFound:
    return NotFound("no such case; GET /cases lists the cases you can see", code="case.not_found")


def check_personal_data_readable(row: asyncpg.Record) -> None:
    """Blocked or erased personal data is not read through the ordinary routes (issue 14):
    blocked data only by an admin with a reason (``POST /cases/{id}/blocked-personal-data``),
    erased data by nobody."""
    if row["personal_data"] == "blocked":
        raise Conflict(
            "the personal data of this case is blocked: the case has been closed past the retention "
            "period; only an admin may read it, with a reason, and the read is audited",
            code=PERSONAL_DATA_BLOCKED,
            extra={"personal_data_blocked_at": row["personal_data_blocked_at"].isoformat()},
        )
    if row["personal_data"] == "erased":
        raise Conflict(
            "the personal data of this case was erased; its pseudonymous history is kept",
            code=PERSONAL_DATA_ERASED,
            extra={"personal_data_erased_at": row["personal_data_erased_at"].isoformat()},
        )


async def audited_read(rt: Runtime, principal: Principal, case_id: uuid.UUID, action: str, read):
    """Run ``read`` (which writes its own audit row with the data it returns); a refused
    read leaves an audit row of its own, ``<action>.denied`` with the actor, written in
    a transaction of its own since the read's rolls back (a read of blocked or erased data
    names that as the refusal's reason)."""
    try:
        return await read()
    except NotFound:
        await audit_denied(rt, principal.sub, case_id, action)
        raise
    except Conflict as exc:
        if exc.code in (PERSONAL_DATA_BLOCKED, PERSONAL_DATA_ERASED):
            await audit_denied(rt, principal.sub, case_id, action, reason=exc.code)
        raise


async def audit_denied(
    rt: Runtime, actor: str, case_id: uuid.UUID, action: str, *, reason: str | None = None
) -> None:
    async with rt.pool.acquire() as conn:
        await store.audit(conn, actor=actor, action=f"{action}.denied", case_id=case_id, reason=reason)
    log.warning("personal_data.read_denied", action=action, reason=reason)


def summary_of(row: asyncpg.Record) -> CaseSummary:
    return CaseSummary(
        id=row["id"],
        country=row["country"],
        region=row["region"],
        line_of_defence=row["line_of_defence"],
        party=PartyView.of(msgspec.convert(row["party"], Party)),
        status=row["status"],
        level=row["level"],
        last_assessment_id=row["last_assessment_id"],
        last_assessed_at=row["last_assessed_at"],
        opened_at=row["opened_at"],
        opened_by=row["opened_by"],
        closed_at=row["closed_at"],
        close_reason=row["close_reason"],
        personal_data=row["personal_data"],
        personal_data_blocked_at=row["personal_data_blocked_at"],
        personal_data_erased_at=row["personal_data_erased_at"],
    )


async def open_case(
    rt: Runtime, principal: Principal, body: CaseCreate, retry: IdempotentRequest | None = None
) -> CaseSummary:
    principal.check_country(body.country)
    case_id = uuid.uuid4()
    party = body.party.to_party()
    contacts = body.personal.contacts
    if isinstance(contacts, str):
        contacts = [contacts] if contacts.strip() else []
    # Associated data = the case id: the ciphertext copied to another row does not open.
    personal = cipher_of(rt).encrypt_obj(
        msgspec.structs.replace(body.personal, contacts=contacts), aad=case_id.bytes
    )
    async with rt.pool.acquire() as conn, conn.transaction():
        if (first := await idempotency.replayed(conn, retry, CaseSummary, rt.cipher)) is not None:
            return first
        row = await store.insert_case(
            conn,
            case_id=case_id,
            country=body.country,
            region=body.region,
            line_of_defence=body.line_of_defence,
            party=msgspec.to_builtins(party),
            personal=personal,
            opened_by=principal.sub,
        )
        await name_index.index_case(rt, conn, case_id, body.personal.full_name)
        payload = CaseOpened(
            country=body.country, region=body.region, line_of_defence=body.line_of_defence, party=party
        )
        event = own_event(payload, case_id=case_id, at=row["opened_at"])
        # Her consents on the intake form commit with the case, never one without the other.
        # Imported here: the consents use cases build on this module's case_in_scope.
        from services.risk.consents.service import give_at_intake

        steps = [
            (event, f"case opened in {body.country} for a party of {party.size}"),
            *await give_at_intake(conn, principal, case_id, list(body.consents)),
        ]
        await enqueue(conn, *(e for e, _ in steps))
        await timeline.add_event_steps(conn, case_id, steps)
        summary = summary_of(row)
        await idempotency.remember(conn, retry, summary, rt.cipher)
    log.info("case.opened", case_id=str(case_id), party_size=party.size, consents=len(body.consents))
    return summary


async def list_cases(
    rt: Runtime,
    principal: Principal,
    *,
    country: str | None,
    status: str | None,
    level: str | None,
    limit: int,
    offset: int,
) -> Page[CaseSummary]:
    countries = principal.visible_countries(country)
    async with rt.pool.acquire() as conn:
        rows, total = await store.list_cases(
            conn, countries=countries, status=status, level=level, limit=limit, offset=offset
        )
    return Page(items=[summary_of(r) for r in rows], total=total, limit=limit, offset=offset)


async def read_case(rt: Runtime, principal: Principal, case_id: uuid.UUID) -> CaseDetail:
    """The case with its personal data: the audit row commits with the read or not at all;
    a refused read is audited as refused."""

    async def read() -> tuple[asyncpg.Record, list[str]]:
        async with rt.pool.acquire() as conn, conn.transaction():
            row = await case_in_scope(conn, principal, case_id, personal=True)
            check_personal_data_readable(row)
            await store.audit(conn, actor=principal.sub, action=PERSONAL_DATA_READ, case_id=case_id)
            shared = await consents.shared_with_now(conn, case_id)
        return row, shared

    row, shared = await audited_read(rt, principal, case_id, PERSONAL_DATA_READ, read)
    personal = cipher_of(rt).decrypt_obj(row["personal"], PersonalData, aad=case_id.bytes)
    return CaseDetail(**msgspec.structs.asdict(summary_of(row)), personal=personal, shared_with=shared)


async def case_summary(rt: Runtime, principal: Principal, case_id: uuid.UUID) -> CaseSummary:
    async with rt.pool.acquire() as conn:
        return summary_of(await case_in_scope(conn, principal, case_id))


async def close_case(rt: Runtime, principal: Principal, case_id: uuid.UUID, reason: str) -> CaseSummary:
    async with rt.pool.acquire() as conn, conn.transaction():
        row = await case_in_scope(conn, principal, case_id, for_update=True)
        if row["status"] == "closed":
            raise Conflict(
                f"the case was already closed ({row['close_reason']})",
                code="case.already_closed",
                extra={"close_reason": row["close_reason"]},
            )
        row = await store.close_case(conn, case_id, reason)
        event = own_event(
            CaseClosed(reason=reason, country=row["country"]), case_id=case_id, at=row["closed_at"]
        )
        await enqueue(conn, event)
        await timeline.add_event_step(conn, case_id, event, f"case closed ({reason})")
    log.info("case.closed", case_id=str(case_id), reason=reason)
    return summary_of(row)


# --- due for re-assessment -----------------------------------------------------------------------


def due_of(row: asyncpg.Record, reassessment_days: int) -> reassessment.Due | None:
    marks = [
        reassessment.Mark(reason=reason, marked_at=at)
        for reason, at in zip(row["mark_reasons"], row["mark_times"], strict=True)
    ]
    return reassessment.due(
        status=row["status"],
        level=row["level"],
        last_assessed_at=row["last_assessed_at"],
        marks=marks,
        now=row["now"],
        reassessment_days=reassessment_days,
    )


async def is_due(conn: asyncpg.Connection, case_id: uuid.UUID, reassessment_days: int) -> bool:
    rows = await store.due_candidates(conn, ageing_levels=list(reassessment.AGEING_LEVELS), case_id=case_id)
    return any(due_of(r, reassessment_days) for r in rows)


async def due_reassessments(
    rt: Runtime, principal: Principal, *, country: str | None, limit: int, offset: int
) -> Page[DueCase]:
    """Open cases that need a new assessment, longest waiting first."""
    countries = principal.visible_countries(country)
    days = rt.config.reassessment_days
    async with rt.pool.acquire() as conn:
        rows = await store.due_candidates(
            conn, ageing_levels=list(reassessment.AGEING_LEVELS), countries=countries
        )
    due = [
        DueCase(
            case_id=r["id"],
            country=r["country"],
            region=r["region"],
            level=r["level"],
            last_assessed_at=r["last_assessed_at"],
            reasons=d.reasons,
            due_since=d.since,
        )
        for r in rows
        if (d := due_of(r, days)) is not None
    ]
    due.sort(key=lambda c: (c.due_since, c.case_id))
    return Page(items=due[offset : offset + limit], total=len(due), limit=limit, offset=offset)


# --- the audit log ---------------------------------------------------------------------------------


async def audit_log(
    rt: Runtime,
    *,
    case_id: uuid.UUID | None,
    actor: str | None,
    limit: int,
    offset: int,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEntry]:
    check_range(since, until)
    async with rt.pool.acquire() as conn:
        rows, total = await store.list_audit(
            conn,
            case_id=case_id,
            actor=actor,
            limit=limit,
            offset=offset,
            action=action,
            since=since,
            until=until,
        )
    return Page(items=[AuditEntry(**dict(r)) for r in rows], total=total, limit=limit, offset=offset)
