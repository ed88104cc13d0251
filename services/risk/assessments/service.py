"""Use cases of assessments: the instrument, recording an assessment (scored by the domain,
superseding the case's latest one, announced to shelters and funds through the outbox in
the same transaction) and the audited history."""

from __future__ import annotations

import uuid

import asyncpg
import msgspec

from services.risk import instruments
from services.risk.assessments import store
from services.risk.assessments.schemas import (
    AssessmentCreate,
    AssessmentView,
    InstrumentSummary,
    ScorePreview,
    ScoreRequest,
)
from services.risk.cases import store as cases_store
from services.risk.cases.schemas import PartyView
from services.risk.cases.service import (
    audited_read,
    case_in_scope,
    check_personal_data_readable,
    cipher_of,
    own_event,
)
from services.risk.consents.service import shared_with_at
from services.risk.domain import consent, scoring
from services.risk.domain.instrument import Instrument
from services.risk.timeline import store as timeline
from shared import idempotency
from shared.auth import Principal
from shared.errors import Conflict, Invalid, NotFound
from shared.events import AssessmentRecorded, Party
from shared.idempotency import IdempotentRequest
from shared.logging import get_logger
from shared.outbox import enqueue
from shared.pagination import Page
from shared.runtime import Runtime

log = get_logger(__name__)
NOTES_READ = "assessments.notes.read"


class _Private(msgspec.Struct, frozen=True):
    """Free text that may name people: one ciphertext per assessment."""

    notes: str = ""
    override_reason: str | None = None


def list_instruments() -> list[InstrumentSummary]:
    return [
        InstrumentSummary(
            version=i.version,
            title_es=i.title_es,
            title_en=i.title_en,
            published_on=i.published_on,
            indicators=len(i.indicators),
        )
        for i in instruments.all_instruments().values()
    ]


def _known_versions() -> list[str]:
    return sorted(instruments.all_instruments())


def get_instrument(version: str) -> Instrument:
    instrument = instruments.get(version)
    if instrument is None:
        known = _known_versions()
        raise NotFound(
            f"no such instrument version; known versions: {', '.join(known)}",
            code="instrument.not_found",
            extra={"known_versions": known},
        )
    return instrument


def _checked(body: AssessmentCreate) -> Instrument:
    """The instrument the answers are for, once they fit it and the override has its reason."""
    instrument = instruments.all_instruments()[body.instrument_version]  # the body type lists them
    _fit(instrument, body.answers)
    reason = (body.override_reason or "").strip()
    if body.level_override is not None and len(reason) < 10:
        raise Invalid(
            "a level override needs a written override_reason (at least 10 characters) saying why",
            code="assessment.override_without_reason",
        )
    if body.level_override is None and reason:
        raise Invalid(
            "override_reason was given without level_override; send both or neither",
            code="assessment.reason_without_override",
        )
    return instrument


def _fit(instrument: Instrument, answers: scoring.Answers) -> None:
    errors = scoring.check_answers(instrument, answers)
    if errors:
        raise Invalid(
            f"the answers do not fit the instrument: {errors.describe()}",
            code="assessment.answers_do_not_fit",
            extra=msgspec.structs.asdict(errors),
        )


def preview(version: str, body: ScoreRequest) -> ScorePreview:
    """What recording these answers would give, recording nothing (the form's live preview):
    the same domain rule, so the preview and the recorded assessment never disagree."""
    instrument = get_instrument(version)
    _fit(instrument, body.answers)
    result = scoring.score(instrument, body.answers)
    level = body.level_override or result.computed_level
    return ScorePreview(
        instrument_version=instrument.version,
        scores={k: result.scores[k] for k in scoring.SCORE_KEYS},
        computed_level=result.computed_level,
        level=level,
        overridden=body.level_override is not None,
        measures=scoring.measures_for(instrument, level, body.answers),
        floors=list(result.floors),
    )


async def record_assessment(
    rt: Runtime,
    principal: Principal,
    case_id: uuid.UUID,
    body: AssessmentCreate,
    retry: IdempotentRequest | None = None,
) -> AssessmentView:
    instrument = _checked(body)
    result = scoring.score(instrument, body.answers)
    level = body.level_override or result.computed_level
    measures = scoring.measures_for(instrument, level, body.answers)
    assessment_id, event_id = uuid.uuid4(), uuid.uuid4()
    private = cipher_of(rt).encrypt_obj(
        _Private(notes=body.notes, override_reason=body.override_reason), aad=assessment_id.bytes
    )
    async with rt.pool.acquire() as conn, conn.transaction():
        if (first := await idempotency.replayed(conn, retry, AssessmentView, rt.cipher)) is not None:
            return first
        # The row lock orders concurrent assessments of one case, so each supersedes the last.
        case = await case_in_scope(conn, principal, case_id, for_update=True)
        if case["status"] != "open":
            raise Conflict("the case is closed; open a new case to assess her again", code="case.closed")
        party = body.party.to_party() if body.party else msgspec.convert(case["party"], Party)
        excluded = scoring.excluded_regions(case["region"], body.excluded_regions, body.exclude_case_region)
        previous = case["last_assessment_id"]
        # Her consents at the assessment's time (the case lock keeps them still): the row
        # and the event carry them, and shelters and funds act only on what they list.
        at = await conn.fetchval("SELECT clock_timestamp()")
        shared = await shared_with_at(conn, case_id, at)
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
            supersedes=previous,
            recorded_by=principal.sub,
            recorded_at=at,
            shared_with=shared,
            event_id=event_id,
        )
        payload = AssessmentRecorded(
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
            supersedes=previous,
            shared_with=shared,
        )
        # A re-assessment is caused by the one it supersedes: the timeline never shows it first.
        cause = await store.event_of(conn, previous) if previous is not None else None
        event = own_event(
            payload, case_id=case_id, at=row["recorded_at"], causation_id=cause, event_id=event_id
        )
        await enqueue(conn, event)
        override = (
            f" (computed {result.computed_level}, overridden)" if level != result.computed_level else ""
        )
        await timeline.add_event_step(
            conn,
            case_id,
            event,
            f"assessment recorded: level {level}{override}; measures: {', '.join(measures) or 'none'}",
        )
        for purpose in consent.skipped(measures, shared):
            await timeline.add_skipped_step(conn, case_id, event, purpose, consent.skipped_reason(purpose))
        view = _view(row, None)
        await idempotency.remember(conn, retry, view, rt.cipher)
    log.info("assessment.recorded", case_id=str(case_id), risk_level=level, measures=len(measures))
    return view


def _withheld(row: asyncpg.Record) -> list[str]:
    """Why shelters or funds will not act on a measure by themselves (her consents)."""
    if row["shared_with"] is None:  # recorded before consents were kept
        return []
    return [consent.skipped_reason(p) for p in consent.skipped(row["measures"], row["shared_with"])]


def _view(row: asyncpg.Record, private: _Private | None) -> AssessmentView:
    return AssessmentView(
        id=row["id"],
        case_id=row["case_id"],
        instrument_version=row["instrument_version"],
        answers=row["answers"],
        # jsonb keeps its own key order; show them in the order of the rule.
        scores={k: row["scores"][k] for k in scoring.SCORE_KEYS if k in row["scores"]},
        computed_level=row["computed_level"],
        level=row["level"],
        overridden=row["overridden"],
        measures=list(row["measures"]),
        shared_with=list(row["shared_with"] or []),
        withheld=_withheld(row),
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
    rt: Runtime, principal: Principal, case_id: uuid.UUID, *, limit: int, offset: int, notes: bool = True
) -> Page[AssessmentView]:
    """Newest first, with notes and override reasons: the audit row commits with the read.
    Without notes nothing is decrypted and nothing personal is read, so nothing is audited."""
    cipher = cipher_of(rt)
    if not notes:
        async with rt.pool.acquire() as conn:
            await case_in_scope(conn, principal, case_id)
            rows, total = await store.list_assessments(conn, case_id, limit=limit, offset=offset)
        return Page(items=[_view(r, None) for r in rows], total=total, limit=limit, offset=offset)

    async def read() -> tuple[list[asyncpg.Record], int]:
        async with rt.pool.acquire() as conn, conn.transaction():
            check_personal_data_readable(await case_in_scope(conn, principal, case_id))
            found = await store.list_assessments(conn, case_id, limit=limit, offset=offset)
            await cases_store.audit(conn, actor=principal.sub, action=NOTES_READ, case_id=case_id)
        return found

    rows, total = await audited_read(rt, principal, case_id, NOTES_READ, read)
    items = [_view(r, cipher.decrypt_obj(r["private"], _Private, aad=r["id"].bytes)) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)
