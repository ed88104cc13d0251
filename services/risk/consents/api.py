"""HTTP routes of consents: thin handlers over ``consents.service``."""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.params import JSONBody, PathParameter

from services.risk.cases.api import CaseId
from services.risk.consents import service
from services.risk.consents.schemas import ConsentCreate, Consents, ConsentView
from shared.auth import requires
from shared.http import Caller, Rt

ANALYST = requires("risk_analyst")


@get("/cases/{case_id:uuid}/consents", operation_id="listConsents", guards=[ANALYST], tags=["consents"])
async def list_consents(rt: Rt, principal: Caller, case_id: CaseId) -> Consents:
    """What she agreed to share, per purpose, newest first, and the purposes valid now."""
    return await service.list_consents(rt, principal, case_id)


@post("/cases/{case_id:uuid}/consents", operation_id="giveConsent", guards=[ANALYST], tags=["consents"])
async def give_consent(
    rt: Rt, principal: Caller, case_id: CaseId, data: JSONBody[ConsentCreate]
) -> ConsentView:
    """Record, with her, her consent to one purpose from today (until a day, or until she
    revokes it): shelters hold beds and funds open applications only with it."""
    return await service.give(rt, principal, case_id, data)


@post(
    "/cases/{case_id:uuid}/consents/{purpose:str}/revocation",
    operation_id="revokeConsent",
    guards=[ANALYST],
    tags=["consents"],
    status_code=200,
)
async def revoke_consent(
    rt: Rt,
    principal: Caller,
    case_id: CaseId,
    purpose: Annotated[str, PathParameter(description="shelters, funds, statistics or contact")],
) -> ConsentView:
    """She withdraws a consent: what has not happened yet for it stops (holds and waiting
    requests are released, undecided applications withdrawn); a family already checked
    in stays, decided or paid grants stay."""
    return await service.revoke(rt, principal, case_id, purpose)


ROUTES = [list_consents, give_consent, revoke_consent]
