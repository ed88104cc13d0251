"""HTTP routes of the funds service: parse, call service.py, return a Struct."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from litestar import Controller, Response, get, post, put
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from services.funds import service
from services.funds.schemas import (
    ApplicationCreate,
    ApplicationView,
    CloseCreate,
    Country,
    DepositCreate,
    DepositView,
    DisbursementCreate,
    DisbursementView,
    FundAssign,
    FundCreate,
    FundView,
    GrantsReport,
    LedgerEntryView,
    MemberAdd,
    MemberView,
    PolicyPut,
    RecusalCreate,
    RecusalView,
    Status,
    VoteCreate,
    VoteView,
)
from shared.auth import requires
from shared.http import Caller, Rt
from shared.pagination import Limit, Offset, Page

READERS = requires("fund_committee", "fund_admin")
ADMINS = requires("fund_admin")
COMMITTEE = requires("fund_committee")
CountryQuery = Annotated[Country | None, QueryParameter(description="ISO 3166-1 alpha-2 filter")]


class FundsController(Controller):
    path = "/funds"
    tags = ["funds"]

    @post(operation_id="createFund", guards=[ADMINS])
    async def create_fund(self, rt: Rt, principal: Caller, data: JSONBody[FundCreate]) -> FundView:
        """Create a fund with its currency and the countries it serves."""
        return await service.create_fund(rt, principal, data)

    @get(operation_id="listFunds", guards=[READERS])
    async def list_funds(
        self,
        rt: Rt,
        principal: Caller,
        country: CountryQuery = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[FundView]:
        """Funds serving the caller's countries, with balance, committed and available money."""
        items, total = await service.list_funds(rt, principal, country, limit, offset)
        return Page(items=items, total=total, limit=limit, offset=offset)

    @get("/{fund_id:uuid}", operation_id="getFund", guards=[READERS])
    async def get_fund(
        self,
        rt: Rt,
        principal: Caller,
        fund_id: FromPath[uuid.UUID],
    ) -> FundView:
        """One fund: totals derived from its ledger, policy and committee."""
        return await service.get_fund(rt, principal, fund_id)

    @get("/{fund_id:uuid}/ledger", operation_id="getFundLedger", guards=[READERS])
    async def ledger(
        self,
        rt: Rt,
        principal: Caller,
        fund_id: FromPath[uuid.UUID],
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[LedgerEntryView]:
        """The fund's append-only ledger, oldest first."""
        items, total = await service.fund_ledger(rt, principal, fund_id, limit, offset)
        return Page(items=items, total=total, limit=limit, offset=offset)

    @post("/{fund_id:uuid}/deposits", operation_id="depositIntoFund", guards=[ADMINS])
    async def deposit(
        self,
        rt: Rt,
        principal: Caller,
        fund_id: FromPath[uuid.UUID],
        data: JSONBody[DepositCreate],
    ) -> DepositView:
        """Record money received by the fund (minor units, in the fund's currency)."""
        return await service.deposit(rt, principal, fund_id, data)

    @put("/{fund_id:uuid}/policy", operation_id="putFundPolicy", guards=[ADMINS])
    async def put_policy(
        self,
        rt: Rt,
        principal: Caller,
        fund_id: FromPath[uuid.UUID],
        data: JSONBody[PolicyPut],
    ) -> FundView:
        """Set the grant policy: ceiling, suggested amounts, emergency limit, quorum, deadlines."""
        return await service.put_policy(rt, principal, fund_id, data)

    @post("/{fund_id:uuid}/members", operation_id="addFundMember", guards=[ADMINS])
    async def add_member(
        self,
        rt: Rt,
        principal: Caller,
        fund_id: FromPath[uuid.UUID],
        data: JSONBody[MemberAdd],
    ) -> MemberView:
        """Add a committee member (the token subject of a fund_committee user); idempotent."""
        return await service.add_member(rt, principal, fund_id, data)


class ApplicationsController(Controller):
    path = "/applications"
    tags = ["applications"]

    @post(operation_id="createApplication", guards=[requires("fund_committee", "fund_admin")])
    async def create(
        self,
        rt: Rt,
        principal: Caller,
        data: JSONBody[ApplicationCreate],
    ) -> ApplicationView:
        """Open an application by hand for a case (case id and country only, no personal data)."""
        return await service.create_application(rt, principal, data)

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
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[ApplicationView]:
        """Applications; `overdue=true`: undecided past their deadline; `flagged=true`:
        emergency approvals not ratified in time (or refused on ratification)."""
        items, total = await service.list_applications(
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
        )
        return Page(items=items, total=total, limit=limit, offset=offset)

    @get("/{application_id:uuid}", operation_id="getApplication", guards=[READERS])
    async def get_application(
        self,
        rt: Rt,
        principal: Caller,
        application_id: FromPath[uuid.UUID],
    ) -> ApplicationView:
        """One application with its lines, money, tally and deadlines."""
        return await service.get_application(rt, principal, application_id)

    @post(
        "/{application_id:uuid}/fund", operation_id="assignApplicationFund", guards=[ADMINS], status_code=200
    )
    async def assign_fund(
        self,
        rt: Rt,
        principal: Caller,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[FundAssign],
    ) -> ApplicationView:
        """Assign a fund to an application opened without one (before any vote)."""
        return await service.assign_fund(rt, principal, application_id, data)

    @post("/{application_id:uuid}/votes", operation_id="voteOnApplication", guards=[COMMITTEE])
    async def vote(
        self,
        rt: Rt,
        principal: Caller,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[VoteCreate],
    ) -> VoteView:
        """A committee member votes approve (with an amount), reject or request_info."""
        return await service.vote(rt, principal, application_id, data)

    @post("/{application_id:uuid}/recusals", operation_id="recuseFromApplication", guards=[COMMITTEE])
    async def recuse(
        self,
        rt: Rt,
        principal: Caller,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[RecusalCreate],
    ) -> RecusalView:
        """Declare a conflict of interest: the member no longer votes on this application."""
        return await service.recuse(rt, principal, application_id, data)

    @post(
        "/{application_id:uuid}/disbursements",
        operation_id="disburseTranche",
        guards=[ADMINS],
        responses={},
    )
    async def disburse(
        self,
        rt: Rt,
        principal: Caller,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[DisbursementCreate],
        idempotency_key: Annotated[
            str | None,
            HeaderParameter(name="Idempotency-Key", description="required; same key = same tranche"),
        ] = None,
    ) -> Response[DisbursementView]:
        """Pay one tranche. 201 when paid now; 200 with the same body when the key was already used."""
        view, created = await service.disburse(rt, principal, application_id, idempotency_key, data)
        return Response(
            view,
            status_code=HTTP_201_CREATED if created else HTTP_200_OK,
            headers={} if created else {"Idempotent-Replayed": "true"},
        )

    @post("/{application_id:uuid}/close", operation_id="closeApplication", guards=[ADMINS], status_code=200)
    async def close(
        self,
        rt: Rt,
        principal: Caller,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[CloseCreate | None] = None,
    ) -> ApplicationView:
        """Close the application; whatever was committed and not paid goes back to the fund."""
        return await service.close(rt, principal, application_id, data or CloseCreate())


@get("/reports/grants", operation_id="grantsReport", guards=[READERS], tags=["reports"])
async def grants_report(
    rt: Rt,
    principal: Caller,
    from_: Annotated[date | None, QueryParameter(name="from", description="first day, YYYY-MM-DD")] = None,
    to: Annotated[date | None, QueryParameter(description="last day (included), YYYY-MM-DD")] = None,
    country: CountryQuery = None,
) -> GrantsReport:
    """Granted and paid by country, purpose and month (minor units per currency); hours from
    application to decision and to first payment (median, p90)."""
    return await service.grants_report(rt, principal, from_, to, country)


ROUTES = [FundsController, ApplicationsController, grants_report]
