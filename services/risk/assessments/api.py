"""HTTP routes of the instrument and assessments: thin handlers over ``assessments.service``."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, get, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from services.risk.assessments import service
from services.risk.assessments.schemas import (
    AssessmentCreate,
    AssessmentView,
    InstrumentSummary,
    ScorePreview,
    ScoreRequest,
)
from services.risk.cases.api import RETAINED, CaseId, personal_data_reader
from services.risk.domain.instrument import Instrument
from shared import idempotency
from shared.auth import requires
from shared.http import Caller, Rt
from shared.idempotency import IdempotencyKeyHeader
from shared.language import AcceptLanguage, named
from shared.pagination import Limit, Offset, Page

ANALYST = requires("risk_analyst")
# The instrument is a public form: staff and the committee read what the levels mean.
FORM_READERS = requires("risk_analyst", "network_staff", "fund_committee")


@get("/instruments", operation_id="listInstruments", guards=[FORM_READERS], tags=["instruments"])
async def list_instruments() -> list[InstrumentSummary]:
    """The instrument versions this service scores."""
    return service.list_instruments()


@get("/instruments/{version:str}", operation_id="getInstrument", guards=[FORM_READERS], tags=["instruments"])
async def get_instrument(
    version: Annotated[str, PathParameter(description="the instrument version, e.g. gender-v1")],
) -> Instrument:
    """One instrument: indicators, weights, answer types, thresholds and measure rules."""
    return service.get_instrument(version)


@post(
    "/instruments/{version:str}/score",
    operation_id="previewScore",
    guards=[ANALYST],
    tags=["instruments"],
    status_code=200,
)
async def preview_score(
    version: Annotated[str, PathParameter(description="the instrument version, e.g. gender-v1")],
    data: JSONBody[ScoreRequest],
) -> ScorePreview:
    """Scores, level and measures these answers would get, recording nothing (no case, no
    event, no audit): the assessment form's live preview."""
    return service.preview(version, data)


@post(
    "/cases/{case_id:uuid}/assessments",
    operation_id="recordAssessment",
    guards=[ANALYST],
    tags=["assessments"],
)
async def record_assessment(
    rt: Rt,
    principal: Caller,
    case_id: CaseId,
    data: JSONBody[AssessmentCreate],
    key: IdempotencyKeyHeader = None,
    lang: AcceptLanguage = None,
) -> Response[AssessmentView]:
    """Score her answers, decide the level and the measures, and supersede the case's
    previous assessment; shelters and funds act on the measures."""
    retry = idempotency.request("recordAssessment", principal, key, case_id, data)
    view = await service.record_assessment(rt, principal, case_id, data, retry)
    return idempotency.created(named(view, lang), retry)


@get(
    "/cases/{case_id:uuid}/assessments",
    operation_id="listAssessments",
    guards=[personal_data_reader(service.NOTES_READ)],
    tags=["assessments"],
    responses=RETAINED,
)
async def list_assessments(
    rt: Rt,
    principal: Caller,
    case_id: CaseId,
    limit: Limit = 50,
    offset: Offset = 0,
    lang: AcceptLanguage = None,
    notes: Annotated[
        bool, QueryParameter(description="false: without notes and override reasons, and not audited")
    ] = True,
) -> Page[AssessmentView]:
    """The assessment history of a case, newest first, with notes (an audited read); with
    ``notes=false`` levels, scores and measures only (nothing personal, so not audited)."""
    page = await service.assessment_history(rt, principal, case_id, limit=limit, offset=offset, notes=notes)
    return named(page, lang)


ROUTES = [list_instruments, get_instrument, preview_score, record_assessment, list_assessments]
