"""HTTP routes of the registry of attacks: thin handlers over ``incidents.service``."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import Response, get, post
from litestar.params import JSONBody, QueryParameter

from services.risk.cases.api import CountryQuery
from services.risk.incidents import service
from services.risk.incidents.schemas import IncidentCreate, IncidentStats, IncidentView
from shared import idempotency
from shared.auth import requires
from shared.http import Caller, Rt
from shared.idempotency import IdempotencyKeyHeader
from shared.language import AcceptLanguage, named
from shared.pagination import Limit, Offset, Page

ANALYST = requires("risk_analyst")
From = Annotated[date | None, QueryParameter(name="from", description="first day, inclusive")]
To = Annotated[date | None, QueryParameter(name="to", description="last day, inclusive")]


@post("/incidents", operation_id="recordIncident", guards=[ANALYST], tags=["incidents"])
async def record_incident(
    rt: Rt,
    principal: Caller,
    data: JSONBody[IncidentCreate],
    key: IdempotencyKeyHeader = None,
    lang: AcceptLanguage = None,
) -> Response[IncidentView]:
    """Add an attack to the registry; on an open case it makes a re-assessment due."""
    retry = idempotency.request("recordIncident", principal, key, data)
    view = await service.record_incident(rt, principal, data, retry)
    return idempotency.created(named(view, lang), retry)


@get("/incidents", operation_id="listIncidents", guards=[ANALYST], tags=["incidents"])
async def list_incidents(
    rt: Rt,
    principal: Caller,
    start: From = None,
    end: To = None,
    country: CountryQuery = None,
    case_id: Annotated[uuid.UUID | None, QueryParameter(description="the incidents of one case")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
    lang: AcceptLanguage = None,
) -> Page[IncidentView]:
    """The registry of attacks in your countries, most recent first."""
    page = await service.list_incidents(
        rt, principal, start=start, end=end, country=country, case_id=case_id, limit=limit, offset=offset
    )
    return named(page, lang)


@get(
    "/incidents/stats",
    operation_id="incidentStats",
    guards=[requires("risk_analyst", "network_staff")],
    tags=["incidents"],
)
async def incident_stats(
    rt: Rt, principal: Caller, start: From = None, end: To = None, country: CountryQuery = None
) -> IncidentStats:
    """Counts for a regional report: by country, aggression, perpetrator, gender component,
    scope and month, with the share of attacks with gender components."""
    return await service.incident_stats(rt, principal, start=start, end=end, country=country)


ROUTES = [record_incident, list_incidents, incident_stats]
