"""Use cases of the risk service: each opens its transaction, calls the store and the domain,
and writes its events to the outbox and its timeline step in that same transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg
import msgspec

from services.risk import domain, instruments, store
from services.risk.schemas import (
    AssessmentCreate,
    AssessmentView,
    AuditEntry,
    CaseCreate,
    CaseDetail,
    CaseSummary,
    DueCase,
    IncidentCreate,
    IncidentStats,
    IncidentView,
    PartyView,
    PersonalData,
    Timeline,
    TimelineStep,
)
from shared.auth import Principal
from shared.errors import Conflict, NotFound
from shared.errors import Invalid as Unprocessable
from shared.events import AssessmentRecorded, CaseClosed, CaseOpened, Envelope, Party, new_event
from shared.logging import get_logger
from shared.outbox import enqueue
from shared.pagination import Page
from shared.runtime import Runtime

log = get_logger(__name__)
PRODUCER = "risk"


class _Private(msgspec.Struct, frozen=True):
    notes: str = ""
    override_reason: str | None = None


def _summary(row: asyncpg.Record) -> CaseSummary:
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
    )


def _cipher(rt: Runtime):
    if rt.cipher is None:
        raise RuntimeError("the risk service needs AMPARO_PII_KEYS or AMPARO_PII_KEY_FILE")
    return rt.cipher


async def _publish(conn: asyncpg.Connection, event: Envelope, *, summary: str) -> None:
    """Risk's own events: the timeline step and the outbox row, in the caller's transaction
    (the same one as the state change they announce)."""
    await store.add_step(
        conn,
        case_id=event.case_id,
        step_id=event.id,
        type=event.type,
        occurred_at=event.occurred_at,
        service=PRODUCER,
        summary=summary,
    )
    await enqueue(conn, event)


async def _case_in_scope(
    conn: asyncpg.Connection,
    principal: Principal,
    case_id: uuid.UUID,
    *,
    for_update: bool = False,
    personal: bool = False,
) -> asyncpg.Record:
    row = await store.get_case(conn, case_id, for_update=for_update, personal=personal)
    if row is None:
        raise NotFound(f"no case {case_id}; check the id (GET /cases lists the cases you can see)")
    principal.check_country(row["country"])
    return row


def _stamped(event: Envelope, at: datetime) -> Envelope:
    # Risk's own events carry the database time of the change they announce, so the timeline
    # and the re-assessment rules compare times from one clock.
    return msgspec.structs.replace(event, occurred_at=at)


# --- cases ---------------------------------------------------------------------------------------


async def open_case(rt: Runtime, principal: Principal, body: CaseCreate) -> CaseSummary:
    principal.check_country(body.country)
    case_id = uuid.uuid4()
    party = body.party.to_party()
    contacts = body.personal.contacts
    if isinstance(contacts, str):
        contacts = [contacts] if contacts.strip() else []
    personal = _cipher(rt).encrypt_obj(
        msgspec.structs.replace(body.personal, contacts=contacts), aad=domain.uuid_bytes(case_id)
    )
    async with rt.pool.acquire() as conn, conn.transaction():
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
        event = _stamped(
            new_event(
                CaseOpened(
                    country=body.country,
                    region=body.region,
                    line_of_defence=body.line_of_defence,
                    party=party,
                ),
                producer=PRODUCER,
                case_id=case_id,
            ),
            row["opened_at"],
        )
        await _publish(conn, event, summary=f"case opened in {body.country} for a party of {party.size}")
    log.info("case.opened", case_id=str(case_id), party_size=party.size)
    return _summary(row)


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
    return Page(items=[_summary(r) for r in rows], total=total, limit=limit, offset=offset)


async def read_case(rt: Runtime, principal: Principal, case_id: uuid.UUID) -> CaseDetail:
    """The case with its personal data: the audit row commits with the read or not at all."""
    async with rt.pool.acquire() as conn, conn.transaction():
        row = await _case_in_scope(conn, principal, case_id, personal=True)
        await store.audit(conn, actor=principal.sub, action="case.personal_data.read", case_id=case_id)
    personal = _cipher(rt).decrypt_obj(row["personal"], PersonalData, aad=domain.uuid_bytes(case_id))
    summary = _summary(row)
    return CaseDetail(**msgspec.structs.asdict(summary), personal=personal)


async def close_case(rt: Runtime, principal: Principal, case_id: uuid.UUID, reason: str) -> CaseSummary:
    async with rt.pool.acquire() as conn, conn.transaction():
        row = await _case_in_scope(conn, principal, case_id, for_update=True)
        if row["status"] == "closed":
            raise Conflict(f"case {case_id} was already closed ({row['close_reason']})")
        row = await store.close_case(conn, case_id, reason)
        event = _stamped(
            new_event(CaseClosed(reason=reason), producer=PRODUCER, case_id=case_id), row["closed_at"]
        )
        await _publish(conn, event, summary=f"case closed ({reason})")
    log.info("case.closed", case_id=str(case_id), reason=reason)
    return _summary(row)


# --- assessments ---------------------------------------------------------------------------------


def _validate_assessment(body: AssessmentCreate) -> domain.Instrument:
    instrument = instruments.get(body.instrument_version)
    if instrument is None:
        known = sorted(instruments.all_instruments())
        raise Unprocessable(
            f"unknown instrument version {body.instrument_version!r}; use one of: {', '.join(known)}",
            extra={"instrument_version": body.instrument_version, "known_versions": known},
        )
    errors = domain.check_answers(instrument, body.answers)
    if errors:
        raise Unprocessable(
            f"the answers do not fit instrument {instrument.version}: {errors.describe()}",
            extra=msgspec.structs.asdict(errors),
        )
    reason = (body.override_reason or "").strip()
    if body.level_override is not None and len(reason) < 10:
        raise Unprocessable(
            "a level override needs a written override_reason (at least 10 characters) saying why"
        )
    if body.level_override is None and reason:
        raise Unprocessable("override_reason was given without level_override; send both or neither")
    return instrument


async def record_assessment(
    rt: Runtime, principal: Principal, case_id: uuid.UUID, body: AssessmentCreate
) -> AssessmentView:
    instrument = _validate_assessment(body)
    result = domain.score(instrument, body.answers)
    level = body.level_override or result.computed_level
    measures = domain.measures_for(instrument, level, body.answers)
    assessment_id = uuid.uuid4()
    private = _cipher(rt).encrypt_obj(
        _Private(notes=body.notes, override_reason=body.override_reason), aad=domain.uuid_bytes(assessment_id)
    )
    async with rt.pool.acquire() as conn, conn.transaction():
        # The row lock orders concurrent assessments of one case, so each supersedes the last.
        case = await _case_in_scope(conn, principal, case_id, for_update=True)
        if case["status"] != "open":
            raise Conflict(f"case {case_id} is closed; open a new case to assess her again")
        party = body.party.to_party() if body.party else msgspec.convert(case["party"], Party)
        excluded = domain.excluded_regions(case["region"], body.excluded_regions, body.exclude_case_region)
        row = await store.insert_assessment(
            conn,
            id=assessment_id,
            case_id=case_id,
            instrument_version=instrument.version,
            answers=dict(sorted(body.answers.items())),
            scores=result.scores,
            computed_level=result.computed_level,
            level=level,
            overridden=body.level_override is not None,
            measures=list(measures),
            party=msgspec.to_builtins(party),
            excluded_regions=excluded,
            private=private,
            supersedes=case["last_assessment_id"],
            recorded_by=principal.sub,
        )
        event = _stamped(
            new_event(
                AssessmentRecorded(
                    assessment_id=assessment_id,
                    instrument_version=instrument.version,
                    computed_level=result.computed_level,
                    level=level,
                    scores=result.scores,
                    measures=list(measures),
                    country=case["country"],
                    region=case["region"],
                    party=party,
                    excluded_regions=excluded,
                    supersedes=case["last_assessment_id"],
                ),
                producer=PRODUCER,
                case_id=case_id,
            ),
            row["recorded_at"],
        )
        override = (
            f" (computed {result.computed_level}, overridden)" if level != result.computed_level else ""
        )
        await _publish(
            conn,
            event,
            summary=f"assessment recorded: level {level}{override}; measures: {', '.join(measures) or 'none'}",
        )
    log.info("assessment.recorded", case_id=str(case_id), risk_level=level, measures=len(measures))
    return _assessment_view(row, None)


def _assessment_view(row: asyncpg.Record, private: _Private | None) -> AssessmentView:
    return AssessmentView(
        id=row["id"],
        case_id=row["case_id"],
        instrument_version=row["instrument_version"],
        answers=row["answers"],
        # jsonb keeps its own key order; show them in the order of the rule.
        scores={k: row["scores"][k] for k in domain.SCORE_KEYS if k in row["scores"]},
        computed_level=row["computed_level"],
        level=row["level"],
        overridden=row["overridden"],
        measures=list(row["measures"]),
        party=PartyView.of(msgspec.convert(row["party"], Party)),
        excluded_regions=list(row["excluded_regions"]),
        supersedes=row["supersedes"],
        superseded_by=row["superseded_by"],
        recorded_by=row["recorded_by"],
        recorded_at=row["recorded_at"],
        notes=private.notes if private else None,
        override_reason=private.override_reason if private else None,
    )


async def assessment_history(
    rt: Runtime, principal: Principal, case_id: uuid.UUID, *, limit: int, offset: int
) -> Page[AssessmentView]:
    cipher = _cipher(rt)
    async with rt.pool.acquire() as conn, conn.transaction():
        await _case_in_scope(conn, principal, case_id)
        rows, total = await store.list_assessments(conn, case_id, limit=limit, offset=offset)
        await store.audit(conn, actor=principal.sub, action="assessments.notes.read", case_id=case_id)
    items = [
        _assessment_view(r, cipher.decrypt_obj(r["private"], _Private, aad=domain.uuid_bytes(r["id"])))
        for r in rows
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


# --- timeline and re-assessments -------------------------------------------------------------------


async def timeline(rt: Runtime, principal: Principal, case_id: uuid.UUID) -> Timeline:
    async with rt.pool.acquire() as conn:
        case = await _case_in_scope(conn, principal, case_id)
        rows = await store.steps(conn, case_id)
        due = await store.is_due(conn, case_id, rt.config.reassessment_days)
    steps = domain.build_steps(
        case["opened_at"],
        [
            domain.StepRow(
                type=r["type"], occurred_at=r["occurred_at"], service=r["service"], summary=r["summary"]
            )
            for r in rows
        ],
    )
    return Timeline(
        case_id=case_id,
        status=case["status"],
        level=case["level"],
        current_step=steps[-1].type if steps else None,
        reassessment_due=due,
        steps=[TimelineStep(**msgspec.structs.asdict(s)) for s in steps],
    )


async def due_reassessments(
    rt: Runtime, principal: Principal, *, country: str | None, limit: int, offset: int
) -> Page[DueCase]:
    countries = principal.visible_countries(country)
    async with rt.pool.acquire() as conn:
        rows, total = await store.due_cases(
            conn,
            reassessment_days=rt.config.reassessment_days,
            countries=countries,
            limit=limit,
            offset=offset,
        )
    items = [
        DueCase(
            case_id=r["id"],
            country=r["country"],
            region=r["region"],
            level=r["level"],
            last_assessed_at=r["last_assessed_at"],
            reasons=sorted(r["reasons"]),
            due_since=r["due_since"],
        )
        for r in rows
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


async def audit_log(
    rt: Runtime, *, case_id: uuid.UUID | None, actor: str | None, limit: int, offset: int
) -> Page[AuditEntry]:
    async with rt.pool.acquire() as conn:
        rows, total = await store.list_audit(conn, case_id=case_id, actor=actor, limit=limit, offset=offset)
    return Page(
        items=[AuditEntry(**dict(r)) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


# --- the registry of attacks -------------------------------------------------------------------------


async def record_incident(rt: Runtime, principal: Principal, body: IncidentCreate) -> IncidentView:
    principal.check_country(body.country)
    # A day of slack: "today" where she is may already be tomorrow in UTC.
    if body.occurred_on > datetime.now(UTC).date() + timedelta(days=1):
        raise Unprocessable(f"occurred_on {body.occurred_on} is in the future; give the date of the attack")
    if body.gender_components and not body.gender_component_types:
        raise Unprocessable("gender_components is true: say which in gender_component_types")
    if not body.gender_components and body.gender_component_types:
        raise Unprocessable("gender_component_types was given but gender_components is false")
    incident_id = uuid.uuid4()
    marked = False
    async with rt.pool.acquire() as conn, conn.transaction():
        case = None
        if body.case_id is not None:
            case = await store.get_case(conn, body.case_id, for_update=True)
            if case is None:
                raise Unprocessable(f"case_id {body.case_id} does not exist; leave it out or fix it")
            principal.check_country(case["country"])
        row = await store.insert_incident(
            conn,
            id=incident_id,
            occurred_on=body.occurred_on,
            country=body.country,
            region=body.region,
            scope=body.scope,
            aggression_types=sorted(set(body.aggression_types)),
            perpetrator_types=sorted(set(body.perpetrator_types)),
            gender_components=body.gender_components,
            gender_component_types=sorted(set(body.gender_component_types)),
            close_people_attacked=body.close_people_attacked,
            case_id=body.case_id,
            recorded_by=principal.sub,
        )
        if case is not None:
            await store.add_step(
                conn,
                case_id=case["id"],
                step_id=incident_id,
                type="amparo.risk.incident.recorded",
                occurred_at=row["recorded_at"],
                service=PRODUCER,
                summary=f"new incident recorded ({', '.join(row['aggression_types'])})",
            )
            if case["status"] == "open":
                await store.mark_due(conn, case_id=case["id"], reason="new_incident", source_id=incident_id)
                marked = True
    log.info("incident.recorded", incident_id=str(incident_id), case_marked_due=marked)
    return _incident_view(row, marked)


def _incident_view(row: asyncpg.Record, marked: bool) -> IncidentView:
    return IncidentView(
        **{k: (list(v) if isinstance(v, list) else v) for k, v in dict(row).items()}, case_marked_due=marked
    )


def _check_period(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise Unprocessable(f"from ({start}) is after to ({end}); swap them")


async def list_incidents(
    rt: Runtime,
    principal: Principal,
    *,
    start: date | None,
    end: date | None,
    country: str | None,
    case_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> Page[IncidentView]:
    _check_period(start, end)
    countries = principal.visible_countries(country)
    async with rt.pool.acquire() as conn:
        rows, total = await store.list_incidents(
            conn, start=start, end=end, countries=countries, case_id=case_id, limit=limit, offset=offset
        )
    return Page(items=[_incident_view(r, False) for r in rows], total=total, limit=limit, offset=offset)


async def incident_stats(
    rt: Runtime, principal: Principal, *, start: date | None, end: date | None, country: str | None
) -> IncidentStats:
    _check_period(start, end)
    countries = principal.visible_countries(country)
    async with rt.pool.acquire() as conn:
        s = await store.incident_stats(conn, start=start, end=end, countries=countries)
    total, gendered = s["total"], s["gendered"]
    return IncidentStats(
        from_=start,
        to=end,
        countries=countries,
        total=total,
        with_gender_components=gendered,
        gender_share_percent=(200 * gendered + total) // (2 * total) if total else 0,
        gender_share_basis_points=(20000 * gendered + total) // (2 * total) if total else 0,
        with_close_people_attacked=s["close_people"],
        by_country=s["by_country"],
        by_aggression_type=s["by_aggression_type"],
        by_perpetrator_type=s["by_perpetrator_type"],
        by_gender_component=s["by_gender_component"],
        by_month=s["by_month"],
        by_scope=s["by_scope"],
    )
