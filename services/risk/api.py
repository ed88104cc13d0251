"""HTTP routes of the risk service: thin handlers over ``service``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import get, post
from litestar.params import Parameter

from services.risk import instruments, service
from services.risk.domain import Instrument
from services.risk.schemas import (
    AssessmentCreate,
    AssessmentView,
    AuditEntry,
    CaseClose,
    CaseCreate,
    CaseDetail,
    CaseStatus,
    CaseSummary,
    DueCase,
    IncidentCreate,
    IncidentStats,
    IncidentView,
    InstrumentSummary,
    Timeline,
)
from shared.auth import requires
from shared.errors import NotFound
from shared.events import Level
from shared.http import Caller, Rt
from shared.pagination import Limit, Offset, Page

ANALYST = requires("risk_analyst")
# The instrument is a public form; the timeline holds no personal data but says which
# shelter she is in, so only staff who place families follow it (not the fund committee).
FORM_READERS = requires("risk_analyst", "network_staff", "fund_committee")
FOLLOWERS = requires("risk_analyst", "network_staff")
CountryQuery = Annotated[str | None, Parameter(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")]


@post("/cases", operation_id="openCase", guards=[ANALYST], tags=["cases"])
async def open_case(rt: Rt, principal: Caller, data: CaseCreate) -> CaseSummary:
    """Open a case; the personal data is encrypted and never leaves this service."""
    return await service.open_case(rt, principal, data)


@get("/cases", operation_id="listCases", guards=[ANALYST], tags=["cases"])
async def list_cases(
    rt: Rt,
    principal: Caller,
    country: CountryQuery = None,
    status: CaseStatus | None = None,
    level: Level | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[CaseSummary]:
    """Cases in your countries, newest first, without personal data."""
    return await service.list_cases(
        rt, principal, country=country, status=status, level=level, limit=limit, offset=offset
    )


@get("/cases/{case_id:uuid}", operation_id="getCase", guards=[ANALYST], tags=["cases"])
async def get_case(rt: Rt, principal: Caller, case_id: uuid.UUID) -> CaseDetail:
    """One case with the defender's personal data; the read is written to the audit log."""
    return await service.read_case(rt, principal, case_id)


@post(
    "/cases/{case_id:uuid}/close", operation_id="closeCase", guards=[ANALYST], tags=["cases"], status_code=200
)
async def close_case(rt: Rt, principal: Caller, case_id: uuid.UUID, data: CaseClose) -> CaseSummary:
    """Close a case with a reason code."""
    return await service.close_case(rt, principal, case_id, data.reason)


@get("/instruments", operation_id="listInstruments", guards=[FORM_READERS], tags=["instruments"])
async def list_instruments() -> list[InstrumentSummary]:
    """The instrument versions this service scores."""
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


@get("/instruments/{version:str}", operation_id="getInstrument", guards=[FORM_READERS], tags=["instruments"])
async def get_instrument(version: str) -> Instrument:
    """One instrument: indicators, weights, answer types, thresholds and measure rules."""
    instrument = instruments.get(version)
    if instrument is None:
        known = ", ".join(sorted(instruments.all_instruments()))
        raise NotFound(f"no instrument version {version!r}; known versions: {known}")
    return instrument


@post(
    "/cases/{case_id:uuid}/assessments",
    operation_id="recordAssessment",
    guards=[ANALYST],
    tags=["assessments"],
)
async def record_assessment(
    rt: Rt, principal: Caller, case_id: uuid.UUID, data: AssessmentCreate
) -> AssessmentView:
    """Score the answers, decide level and measures, and supersede the previous assessment."""
    return await service.record_assessment(rt, principal, case_id, data)


@get(
    "/cases/{case_id:uuid}/assessments",
    operation_id="listAssessments",
    guards=[ANALYST],
    tags=["assessments"],
)
async def list_assessments(
    rt: Rt, principal: Caller, case_id: uuid.UUID, limit: Limit = 50, offset: Offset = 0
) -> Page[AssessmentView]:
    """The assessment history of a case, newest first, with notes (an audited read)."""
    return await service.assessment_history(rt, principal, case_id, limit=limit, offset=offset)


@get("/cases/{case_id:uuid}/timeline", operation_id="getTimeline", guards=[FOLLOWERS], tags=["timeline"])
async def get_timeline(rt: Rt, principal: Caller, case_id: uuid.UUID) -> Timeline:
    """Every step of the case across risk, shelters and funds, with the time each took."""
    return await service.timeline(rt, principal, case_id)


@get("/reassessments/due", operation_id="listDueReassessments", guards=[ANALYST], tags=["assessments"])
async def due_reassessments(
    rt: Rt, principal: Caller, country: CountryQuery = None, limit: Limit = 50, offset: Offset = 0
) -> Page[DueCase]:
    """Open cases that need a new assessment, longest waiting first."""
    return await service.due_reassessments(rt, principal, country=country, limit=limit, offset=offset)


@post("/incidents", operation_id="recordIncident", guards=[ANALYST], tags=["incidents"])
async def record_incident(rt: Rt, principal: Caller, data: IncidentCreate) -> IncidentView:
    """Add an attack to the registry; on an open case it makes a re-assessment due."""
    return await service.record_incident(rt, principal, data)


@get("/incidents", operation_id="listIncidents", guards=[ANALYST], tags=["incidents"])
async def list_incidents(
    rt: Rt,
    principal: Caller,
    start: Annotated[date | None, Parameter(query="from", description="first day, inclusive")] = None,
    end: Annotated[date | None, Parameter(query="to", description="last day, inclusive")] = None,
    country: CountryQuery = None,
    case_id: uuid.UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[IncidentView]:
    """The registry of attacks in your countries, most recent first."""
    return await service.list_incidents(
        rt, principal, start=start, end=end, country=country, case_id=case_id, limit=limit, offset=offset
    )


@get(
    "/incidents/stats",
    operation_id="incidentStats",
    guards=[requires("risk_analyst", "network_staff")],
    tags=["incidents"],
)
async def incident_stats(
    rt: Rt,
    principal: Caller,
    start: Annotated[date | None, Parameter(query="from", description="first day, inclusive")] = None,
    end: Annotated[date | None, Parameter(query="to", description="last day, inclusive")] = None,
    country: CountryQuery = None,
) -> IncidentStats:
    """Counts for a regional report: by country, aggression, perpetrator and month."""
    return await service.incident_stats(rt, principal, start=start, end=end, country=country)


@get("/audit", operation_id="listAudit", guards=[requires("admin")], tags=["audit"])
async def audit(
    rt: Rt,
    case_id: uuid.UUID | None = None,
    actor: Annotated[str | None, Parameter(max_length=200, pattern=r"^[^\x00]*$")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AuditEntry]:
    """Who read which defender's personal data, and when (newest first)."""
    return await service.audit_log(rt, case_id=case_id, actor=actor, limit=limit, offset=offset)


ROUTES = [
    open_case,
    list_cases,
    get_case,
    close_case,
    list_instruments,
    get_instrument,
    record_assessment,
    list_assessments,
    get_timeline,
    due_reassessments,
    record_incident,
    list_incidents,
    incident_stats,
    audit,
]
