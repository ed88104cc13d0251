"""Routes of fund administration: funds, deposits, policies, committee members, the ledger."""

from __future__ import annotations

import uuid

from litestar import Controller, Response, get, post, put
from litestar.params import FromPath, JSONBody

from services.funds.funds import service
from services.funds.funds.schemas import (
    DepositCreate,
    DepositView,
    FundCreate,
    FundView,
    LedgerEntryView,
    MemberAdd,
    MemberView,
    PolicyPut,
    ReversalCreate,
    ReversalView,
)
from services.funds.schemas import CountryQuery
from shared import idempotency
from shared.auth import requires
from shared.http import Caller, Rt
from shared.idempotency import IdempotencyKeyHeader
from shared.language import AcceptLanguage, named
from shared.pagination import Limit, Offset, Page

READERS = requires("fund_committee", "fund_admin")
ADMINS = requires("fund_admin")


class FundsController(Controller):
    path = "/funds"
    tags = ["funds"]

    @post(operation_id="createFund", guards=[ADMINS])
    async def create_fund(
        self,
        rt: Rt,
        principal: Caller,
        data: JSONBody[FundCreate],
        key: IdempotencyKeyHeader = None,
        lang: AcceptLanguage = None,
    ) -> Response[FundView]:
        """Create a fund with the currency it keeps its money in and the countries it serves."""
        retry = idempotency.request("createFund", principal, key, data)
        return idempotency.created(named(await service.create_fund(rt, principal, data, retry), lang), retry)

    @get(operation_id="listFunds", guards=[READERS])
    async def list_funds(
        self,
        rt: Rt,
        principal: Caller,
        country: CountryQuery = None,
        limit: Limit = 50,
        offset: Offset = 0,
        lang: AcceptLanguage = None,
    ) -> Page[FundView]:
        """Funds serving the caller's countries, with balance, committed and available money."""
        return named(await service.list_funds(rt, principal, country, limit, offset), lang)

    @get("/{fund_id:uuid}", operation_id="getFund", guards=[READERS])
    async def get_fund(
        self, rt: Rt, principal: Caller, fund_id: FromPath[uuid.UUID], lang: AcceptLanguage = None
    ) -> FundView:
        """One fund: totals derived from its ledger, its grant policy and its committee."""
        return named(await service.get_fund(rt, principal, fund_id), lang)

    @get("/{fund_id:uuid}/ledger", operation_id="getFundLedger", guards=[READERS])
    async def ledger(
        self, rt: Rt, principal: Caller, fund_id: FromPath[uuid.UUID], limit: Limit = 50, offset: Offset = 0
    ) -> Page[LedgerEntryView]:
        """The fund's append-only ledger (deposits, commitments, releases, disbursements), oldest first."""
        return await service.fund_ledger(rt, principal, fund_id, limit, offset)

    @post("/{fund_id:uuid}/deposits", operation_id="depositIntoFund", guards=[ADMINS])
    async def deposit(
        self,
        rt: Rt,
        principal: Caller,
        fund_id: FromPath[uuid.UUID],
        data: JSONBody[DepositCreate],
        key: IdempotencyKeyHeader = None,
    ) -> Response[DepositView]:
        """Record money received by the fund (minor units, in the fund's currency); a resent
        form with the same Idempotency-Key deposits once."""
        retry = idempotency.request("depositIntoFund", principal, key, fund_id, data)
        return idempotency.created(await service.deposit(rt, principal, fund_id, data, retry), retry)

    @post(
        "/{fund_id:uuid}/deposits/{deposit_id:int}/reversal", operation_id="reverseDeposit", guards=[ADMINS]
    )
    async def reverse_deposit(
        self,
        rt: Rt,
        principal: Caller,
        fund_id: FromPath[uuid.UUID],
        deposit_id: FromPath[int],
        data: JSONBody[ReversalCreate],
    ) -> ReversalView:
        """Take back a wrong deposit with a reversing ledger entry and a reason code (an
        optional note is stored encrypted); refused if already reversed or if the money is
        already committed or paid."""
        return await service.reverse_deposit(rt, principal, fund_id, deposit_id, data)

    @put("/{fund_id:uuid}/policy", operation_id="putFundPolicy", guards=[ADMINS])
    async def put_policy(
        self,
        rt: Rt,
        principal: Caller,
        fund_id: FromPath[uuid.UUID],
        data: JSONBody[PolicyPut],
        lang: AcceptLanguage = None,
    ) -> FundView:
        """Set the grant policy: ceiling per grant, suggested amounts, emergency limit, quorum, deadlines."""
        return named(await service.put_policy(rt, principal, fund_id, data), lang)

    @post("/{fund_id:uuid}/members", operation_id="addFundMember", guards=[ADMINS])
    async def add_member(
        self, rt: Rt, principal: Caller, fund_id: FromPath[uuid.UUID], data: JSONBody[MemberAdd]
    ) -> MemberView:
        """Seat a member on the fund's committee (the token subject of a fund_committee user); idempotent."""
        return await service.add_member(rt, principal, fund_id, data)
