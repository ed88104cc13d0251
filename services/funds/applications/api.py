"""Routes of applications: open by hand, list, read, assign a fund, close."""

from __future__ import annotations

import uuid

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody

from services.funds.applications import matching, service, views
from services.funds.applications.schemas import (
    ApplicationCreate,
    ApplicationView,
    CloseCreate,
    FundAssign,
    PricingCreate,
)
from services.funds.domain.vocabulary import Status
from services.funds.schemas import CountryQuery
from shared import idempotency
from shared.auth import requires
from shared.http import Caller, Rt
from shared.idempotency import IdempotencyKeyHeader
from shared.language import AcceptLanguage, named
from shared.pagination import Limit, Offset, Page

READERS = requires("fund_committee", "fund_admin")
ADMINS = requires("fund_admin")


class ApplicationsController(Controller):
    path = "/applications"
    tags = ["applications"]

    @post(operation_id="createApplication", guards=[READERS])
    async def create(
        self,
        rt: Rt,
        principal: Caller,
        data: JSONBody[ApplicationCreate],
        key: IdempotencyKeyHeader = None,
        lang: AcceptLanguage = None,
    ) -> Response[ApplicationView]:
        """Open an application by hand for a case (its id and country only, never personal
        data); committee members may apply only to a fund whose committee they sit on."""
        retry = idempotency.request("createApplication", principal, key, data)
        opened = await service.create_application(rt, principal, data, retry)
        return idempotency.created(named(opened, lang), retry)

    @get(operation_id="listApplications", guards=[READERS])
    async def list_applications(
        self,
        rt: Rt,
        principal: Caller,
        country: CountryQuery = None,
        case_id: FromQuery[uuid.UUID | None] = None,
        status: FromQuery[Status | None] = None,
        overdue: FromQuery[bool | None] = None,
        flagged: FromQuery[bool | None] = None,
        fund_id: FromQuery[uuid.UUID | None] = None,
        mine: FromQuery[bool | None] = None,
        ratified: FromQuery[bool | None] = None,
        limit: Limit = 50,
        offset: Offset = 0,
        lang: AcceptLanguage = None,
    ) -> Page[ApplicationView]:
        """Applications of the caller's countries; `overdue=true`: undecided past their
        deadline; `flagged=true`: emergency approvals not ratified in time (or refused on
        ratification); `mine=true`: of the funds whose committee lists the caller (a
        member's inbox); `status=approved&ratified=false`: emergency approvals waiting for
        the committee's ratification."""
        result = await views.list_applications(
            rt,
            principal,
            country=country,
            case_id=case_id,
            status=status,
            overdue=overdue,
            flagged=flagged,
            fund_id=fund_id,
            limit=limit,
            offset=offset,
            mine=mine,
            ratified=ratified,
        )
        return named(result, lang)

    @get("/{application_id:uuid}", operation_id="getApplication", guards=[READERS])
    async def get_application(
        self, rt: Rt, principal: Caller, application_id: FromPath[uuid.UUID], lang: AcceptLanguage = None
    ) -> ApplicationView:
        """One application with its lines, money paid and released, the committee's tally and deadlines."""
        return named(await views.get_application(rt, principal, application_id), lang)

    @post(
        "/{application_id:uuid}/fund", operation_id="assignApplicationFund", guards=[ADMINS], status_code=200
    )
    async def assign_fund(
        self,
        rt: Rt,
        principal: Caller,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[FundAssign],
        lang: AcceptLanguage = None,
    ) -> ApplicationView:
        """Assign a fund to an application opened without one (no fund could cover it), before any vote."""
        return named(await service.assign_fund(rt, principal, application_id, data), lang)

    @post("/{application_id:uuid}/pricing", operation_id="priceApplication", guards=[ADMINS], status_code=200)
    async def price(
        self,
        rt: Rt,
        principal: Caller,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[PricingCreate],
        lang: AcceptLanguage = None,
    ) -> ApplicationView:
        """Set the lines and amounts of an undecided application that has a fund with a policy
        (recorded as a revision with who and why); not below an amount a member approved."""
        return named(await matching.reprice(rt, principal, application_id, data), lang)

    @post("/{application_id:uuid}/close", operation_id="closeApplication", guards=[ADMINS], status_code=200)
    async def close(
        self,
        rt: Rt,
        principal: Caller,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[CloseCreate | None] = None,
        lang: AcceptLanguage = None,
    ) -> ApplicationView:
        """Close the application; whatever was committed and not paid goes back to the fund."""
        return named(await service.close(rt, principal, application_id, data or CloseCreate()), lang)
