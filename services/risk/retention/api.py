"""HTTP routes of retention: an erasure request and an admin's read of blocked data."""

from __future__ import annotations

from litestar import post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import JSONBody

from services.risk.cases.api import CaseId
from services.risk.cases.schemas import CaseSummary
from services.risk.cases.service import audit_denied
from services.risk.retention import service
from services.risk.retention.schemas import BlockedPersonalData, BlockedRead, ErasureRequest
from shared.auth import requires
from shared.errors import NotAllowed
from shared.http import Caller, Rt
from shared.language import AcceptLanguage, named

ADMIN = requires("admin")


async def blocked_data_reader(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Only an admin reads blocked data; anyone else's attempt is written to the audit log."""
    principal = connection.user
    if not principal.has_role("admin"):
        case_id = connection.path_params.get("case_id")
        await audit_denied(connection.app.state.runtime, principal.sub, case_id, service.BLOCKED_READ)
        raise NotAllowed("this needs one of the roles: admin")


@post(
    "/cases/{case_id:uuid}/erasure",
    operation_id="eraseCasePersonalData",
    guards=[ADMIN],
    tags=["retention"],
    status_code=200,
)
async def erase_personal_data(
    rt: Rt, principal: Caller, case_id: CaseId, data: JSONBody[ErasureRequest], lang: AcceptLanguage = None
) -> CaseSummary:
    """Erase a closed case's personal data now, in risk, shelters and funds (an erasure
    request); its pseudonymous history and the statistics stay. Audited."""
    return named(await service.request_erasure(rt, principal, case_id, data.reason), lang)


@post(
    "/cases/{case_id:uuid}/blocked-personal-data",
    operation_id="readBlockedPersonalData",
    guards=[blocked_data_reader],
    tags=["retention"],
    status_code=200,
)
async def read_blocked_personal_data(
    rt: Rt, principal: Caller, case_id: CaseId, data: JSONBody[BlockedRead], lang: AcceptLanguage = None
) -> BlockedPersonalData:
    """Read a blocked case's personal data and assessment notes (admin, with a reason code);
    the read and its reason are written to the audit log."""
    return named(await service.read_blocked(rt, principal, case_id, data.reason), lang)


ROUTES = [erase_personal_data, read_blocked_personal_data]
