"""HTTP routes of cases: thin handlers over ``cases.service``."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Response, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter, QueryParameter

from services.risk.cases import service
from services.risk.cases.schemas import (
    AuditEntry,
    CaseClose,
    CaseCreate,
    CaseDetail,
    CaseStatus,
    CaseSummary,
    DueCase,
)
from shared import idempotency
from shared.audit_log import ActorQ, SinceQ, UntilQ, moment
from shared.auth import requires
from shared.errors import NotAllowed
from shared.events import Level
from shared.http import Caller, Rt
from shared.idempotency import IdempotencyKeyHeader
from shared.language import AcceptLanguage, named
from shared.pagination import Limit, Offset, Page
from shared.places import COUNTRY_PATTERN
from shared.validation import END

ANALYST = requires("risk_analyst")


def personal_data_reader(action: str):
    """Guard of a read of personal data: like ANALYST, and a refusal is written to the
    audit log with the actor (who tried to read her data is what the log is for)."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        principal = connection.user
        if not principal.has_role("risk_analyst"):
            case_id = connection.path_params.get("case_id")
            await service.audit_denied(connection.app.state.runtime, principal.sub, case_id, action)
            raise NotAllowed("this needs one of the roles: risk_analyst")

    guard.__name__ = "requires_risk_analyst"
    return guard


PERSONAL_DATA_READER = personal_data_reader(service.PERSONAL_DATA_READ)
# A read of personal data is refused with 409 once the case's data is blocked or erased.
RETAINED = {
    409: ResponseSpec(
        None,
        description="The case's personal data is blocked (case.personal_data_blocked: an admin "
        "reads it with a reason) or erased (case.personal_data_erased)",
    )
}
CaseId = Annotated[uuid.UUID, PathParameter(description="the case's id")]
CountryQuery = Annotated[
    str | None, QueryParameter(pattern=COUNTRY_PATTERN, description="ISO 3166-1 alpha-2, e.g. GT")
]


@post("/cases", operation_id="openCase", guards=[ANALYST], tags=["cases"])
async def open_case(
    rt: Rt,
    principal: Caller,
    data: JSONBody[CaseCreate],
    key: IdempotencyKeyHeader = None,
    lang: AcceptLanguage = None,
) -> Response[CaseSummary]:
    """Open a case for a defender at risk; her personal data is encrypted and never leaves
    this service (the answer and the event carry none)."""
    retry = idempotency.request("openCase", principal, key, data)
    view = await service.open_case(rt, principal, data, retry)
    return idempotency.created(named(view, lang), retry)


@get("/cases", operation_id="listCases", guards=[ANALYST], tags=["cases"])
async def list_cases(
    rt: Rt,
    principal: Caller,
    country: CountryQuery = None,
    status: Annotated[CaseStatus | None, QueryParameter(description="open or closed")] = None,
    level: Annotated[Level | None, QueryParameter(description="latest assessed level")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    lang: AcceptLanguage = None,
) -> Page[CaseSummary]:
    """Cases in your countries, newest first, without personal data."""
    page = await service.list_cases(
        rt, principal, country=country, status=status, level=level, limit=limit, offset=offset
    )
    return named(page, lang)


@get(
    "/cases/{case_id:uuid}",
    operation_id="getCase",
    guards=[PERSONAL_DATA_READER],
    tags=["cases"],
    responses=RETAINED,
)
async def get_case(rt: Rt, principal: Caller, case_id: CaseId, lang: AcceptLanguage = None) -> CaseDetail:
    """One case with the defender's personal data; the read is written to the audit log."""
    return named(await service.read_case(rt, principal, case_id), lang)


@get("/cases/{case_id:uuid}/summary", operation_id="getCaseSummary", guards=[ANALYST], tags=["cases"])
async def get_case_summary(
    rt: Rt, principal: Caller, case_id: CaseId, lang: AcceptLanguage = None
) -> CaseSummary:
    """One case without personal data (not an audited read): the console's case page, which
    shows her personal data only when the analyst asks for it."""
    return named(await service.case_summary(rt, principal, case_id), lang)


@post(
    "/cases/{case_id:uuid}/close", operation_id="closeCase", guards=[ANALYST], tags=["cases"], status_code=200
)
async def close_case(
    rt: Rt, principal: Caller, case_id: CaseId, data: JSONBody[CaseClose], lang: AcceptLanguage = None
) -> CaseSummary:
    """Close a case with a reason code; shelters and funds hear of it."""
    return named(await service.close_case(rt, principal, case_id, data.reason), lang)


@get("/reassessments/due", operation_id="listDueReassessments", guards=[ANALYST], tags=["assessments"])
async def due_reassessments(
    rt: Rt,
    principal: Caller,
    country: CountryQuery = None,
    limit: Limit = 50,
    offset: Offset = 0,
    lang: AcceptLanguage = None,
) -> Page[DueCase]:
    """Open cases that need a new assessment (her placement ended, her shelter was
    compromised, a new incident, or a high level grown old), longest waiting first."""
    page = await service.due_reassessments(rt, principal, country=country, limit=limit, offset=offset)
    return named(page, lang)


@get("/audit", operation_id="listAudit", guards=[requires("admin")], tags=["audit"])
async def audit(
    rt: Rt,
    case_id: Annotated[uuid.UUID | None, QueryParameter(description="one case's reads")] = None,
    actor: ActorQ = None,
    action: Annotated[
        str | None,
        QueryParameter(
            max_length=100,
            pattern=r"^[a-z_.]+" + END,
            description="what was done, e.g. case.personal_data.read (a refusal ends in .denied)",
        ),
    ] = None,
    since: SinceQ = None,
    until: UntilQ = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AuditEntry]:
    """Who read which defender's personal data, and when (newest first), by actor, action,
    case and time."""
    return await service.audit_log(
        rt,
        case_id=case_id,
        actor=actor,
        action=action,
        since=moment(since, "since"),
        until=moment(until, "until"),
        limit=limit,
        offset=offset,
    )


ROUTES = [open_case, list_cases, get_case, get_case_summary, close_case, due_reassessments, audit]
