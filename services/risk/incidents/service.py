"""Use cases of the registry of attacks. An incident on an open case makes her due for a
new assessment, and shows in her timeline."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import asyncpg

from services.risk.cases import store as cases_store
from services.risk.cases.service import PRODUCER
from services.risk.domain.statistics import share
from services.risk.incidents import store
from services.risk.incidents.schemas import IncidentCreate, IncidentStats, IncidentView
from services.risk.timeline import store as timeline
from shared import idempotency
from shared.auth import Principal
from shared.errors import Invalid
from shared.idempotency import IdempotentRequest
from shared.logging import get_logger
from shared.pagination import Page
from shared.runtime import Runtime

log = get_logger(__name__)


def _check(body: IncidentCreate) -> None:
    # A day of slack: "today" where she is may already be tomorrow in UTC.
    if body.occurred_on > datetime.now(UTC).date() + timedelta(days=1):
        raise Invalid(
            "occurred_on is in the future; give the date of the attack", code="incident.in_the_future"
        )
    if body.gender_components and not body.gender_component_types:
        raise Invalid(
            "gender_components is true: say which in gender_component_types",
            code="incident.gender_components_unnamed",
        )
    if not body.gender_components and body.gender_component_types:
        raise Invalid(
            "gender_component_types was given but gender_components is false",
            code="incident.gender_components_contradict",
        )


async def record_incident(
    rt: Runtime, principal: Principal, body: IncidentCreate, retry: IdempotentRequest | None = None
) -> IncidentView:
    principal.check_country(body.country)
    _check(body)
    incident_id = uuid.uuid4()
    marked = False
    async with rt.pool.acquire() as conn, conn.transaction():
        if (first := await idempotency.replayed(conn, retry, IncidentView, rt.cipher)) is not None:
            return first
        case = None
        if body.case_id is not None:
            case = await cases_store.get_case(conn, body.case_id, for_update=True)
            # A case outside her countries is refused like one that does not exist.
            if case is None or not principal.can_see(case["country"]):
                raise Invalid(
                    "case_id names no case you can see; leave it out or correct it",
                    code="incident.unknown_case",
                )
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
            # A step with no event: the registry is risk's own, nobody else needs to hear of it.
            await timeline.add_step(
                conn,
                case_id=case["id"],
                step_id=incident_id,
                type="amparo.risk.incident.recorded",
                occurred_at=row["recorded_at"],
                service=PRODUCER,
                summary=f"new incident recorded ({', '.join(row['aggression_types'])})",
            )
            if case["status"] == "open":
                await cases_store.mark_due(
                    conn, case_id=case["id"], reason="new_incident", source_id=incident_id
                )
                marked = True
        view = _view(row, marked)
        await idempotency.remember(conn, retry, view, rt.cipher)
    log.info("incident.recorded", incident_id=str(incident_id), case_marked_due=marked)
    return view


def _view(row: asyncpg.Record, marked: bool) -> IncidentView:
    return IncidentView(
        **{k: (list(v) if isinstance(v, list) else v) for k, v in dict(row).items()}, case_marked_due=marked
    )


def _check_period(start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        raise Invalid("from is after to; swap them", code="period.reversed")


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
    return Page(items=[_view(r, False) for r in rows], total=total, limit=limit, offset=offset)


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
        gender_share_percent=share(gendered, total, 100),
        gender_share_basis_points=share(gendered, total, 10_000),
        with_close_people_attacked=s["close_people"],
        by_country=s["by_country"],
        by_aggression_type=s["by_aggression_type"],
        by_perpetrator_type=s["by_perpetrator_type"],
        by_gender_component=s["by_gender_component"],
        by_month=s["by_month"],
        by_scope=s["by_scope"],
    )
