"""Use cases of fund administration. A deposit takes the fund's row lock, like every
other change of a fund's money (see ``applications.service`` for the lock order)."""

from __future__ import annotations

import uuid

import asyncpg
import msgspec

from services.funds.applications import matching
from services.funds.applications import store as applications_store
from services.funds.ciphertexts import NOTE_PURPOSE
from services.funds.domain.money import check_reversal
from services.funds.domain.policy import check_policy
from services.funds.domain.vocabulary import FUND_CURRENCIES
from services.funds.funds import store
from services.funds.funds.schemas import (
    DepositCreate,
    DepositView,
    FundCreate,
    FundView,
    LedgerEntryView,
    MemberAdd,
    MemberView,
    Policy,
    PolicyPut,
    ReversalCreate,
    ReversalView,
    SuggestedAmount,
)
from shared import idempotency
from shared.auth import Principal
from shared.errors import Conflict, Invalid, NotFound, Unavailable
from shared.idempotency import IdempotentRequest
from shared.logging import get_logger
from shared.pagination import Page
from shared.runtime import Runtime

log = get_logger(__name__)


async def fund_or_404(
    conn, principal: Principal, fund_id: uuid.UUID, *, lock: bool = False
) -> asyncpg.Record:
    """The fund, if it exists and serves one of the caller's countries."""
    fund = await store.get_fund(conn, fund_id, lock=lock)
    # A fund serving none of the caller's countries answers exactly like no fund.
    if fund is None or not (principal.is_admin or set(fund["countries"]) & set(principal.countries)):
        raise NotFound("there is no such fund", code="fund.not_found")
    return fund


async def fund_named(conn, principal: Principal, fund_id: uuid.UUID) -> asyncpg.Record:
    """The fund a request body names. One that does not exist (or serves none of the
    caller's countries, which answers the same) makes the body break a rule: a 422 naming
    the field, not a 404 (the route's path names no fund)."""
    try:
        return await fund_or_404(conn, principal, fund_id)
    except NotFound:
        raise Invalid(
            "fund_id names no fund you can see; correct it", code="fund.unknown", extra={"field": "fund_id"}
        ) from None


async def fund_views(conn, funds: list[asyncpg.Record]) -> list[FundView]:
    ids = [f["id"] for f in funds]
    members = await store.members_of(conn, ids)
    policies = await store.policies_of(conn, ids)
    views = []
    for f in funds:
        t = store.totals(f)
        p = policies.get(f["id"])
        views.append(
            FundView(
                id=f["id"],
                name=f["name"],
                currency=f["currency"],
                countries=list(f["countries"]),
                balance=t.balance,
                committed=t.committed,
                available=t.available,
                deposited=t.deposited,
                disbursed=t.disbursed_total,
                policy=None if p is None else _policy_view(p),
                receives_applications=p is not None,
                members=members[f["id"]],
                created_at=f["created_at"],
            )
        )
    return views


def _policy_view(p: asyncpg.Record) -> Policy:
    return Policy(
        ceiling=p["ceiling"],
        emergency_limit=p["emergency_limit"],
        quorum=p["quorum"],
        suggested=msgspec.convert(p["suggested"], list[SuggestedAmount]),
        decision_hours=p["decision_hours"],
        emergency_decision_hours=p["emergency_decision_hours"],
        ratification_hours=p["ratification_hours"],
        updated_at=p["updated_at"],
    )


async def create_fund(
    rt: Runtime, principal: Principal, body: FundCreate, retry: IdempotentRequest | None = None
) -> FundView:
    if body.currency not in FUND_CURRENCIES:
        raise Invalid(
            "the network keeps no fund in this currency",
            code="fund.currency_not_kept",
            extra={"field": "currency", "allowed": sorted(FUND_CURRENCIES)},
        )
    countries = sorted(set(body.countries))
    for c in countries:
        principal.check_country(c)
    fund_id = uuid.uuid4()
    async with rt.pool.acquire() as conn, conn.transaction():
        if (first := await idempotency.replayed(conn, retry, FundView, rt.cipher)) is not None:
            return first
        await store.insert_fund(conn, fund_id, body.name, body.currency, countries)
        (view,) = await fund_views(conn, [await store.get_fund(conn, fund_id)])
        await idempotency.remember(conn, retry, view, rt.cipher)
    log.info("fund.created", fund_id=str(fund_id))
    return view


async def list_funds(
    rt: Runtime, principal: Principal, country: str | None, limit: int, offset: int
) -> Page[FundView]:
    countries = principal.visible_countries(country)
    async with rt.pool.acquire() as conn:
        rows, total = await store.list_funds(conn, countries, limit, offset)
        return Page(items=await fund_views(conn, rows), total=total, limit=limit, offset=offset)


async def get_fund(rt: Runtime, principal: Principal, fund_id: uuid.UUID) -> FundView:
    async with rt.pool.acquire() as conn:
        (view,) = await fund_views(conn, [await fund_or_404(conn, principal, fund_id)])
        return view


async def fund_ledger(
    rt: Runtime, principal: Principal, fund_id: uuid.UUID, limit: int, offset: int
) -> Page[LedgerEntryView]:
    async with rt.pool.acquire() as conn:
        fund = await fund_or_404(conn, principal, fund_id)
        rows, total = await store.ledger_page(conn, fund_id, limit, offset)
    items = [
        LedgerEntryView(
            id=r["id"],
            fund_id=r["fund_id"],
            kind=r["kind"],
            amount=r["amount"],
            currency=fund["currency"],
            application_id=r["application_id"],
            disbursement_id=r["disbursement_id"],
            recorded_at=r["recorded_at"],
            reverses_id=r["reverses_id"],
            reversed_by_id=r["reversed_by_id"],
            reason_code=r["reason_code"],
            has_note=r["has_note"],
        )
        for r in rows
    ]
    return Page(items=items, total=total, limit=limit, offset=offset)


async def deposit(
    rt: Runtime,
    principal: Principal,
    fund_id: uuid.UUID,
    body: DepositCreate,
    retry: IdempotentRequest | None = None,
) -> DepositView:
    async with rt.pool.acquire() as conn, conn.transaction():
        if (first := await idempotency.replayed(conn, retry, DepositView, rt.cipher)) is not None:
            return first
        fund = await fund_or_404(conn, principal, fund_id, lock=True)
        if body.currency != fund["currency"]:
            raise Invalid(
                f"this fund keeps its money in {fund['currency']}: convert the deposit first and "
                f"deposit the amount in {fund['currency']} minor units",
                code="fund.currency_mismatch",
                extra={"field": "currency", "currency": fund["currency"]},
            )
        entry = await store.append_ledger(conn, fund_id, "deposit", body.amount, principal.sub)
        t = store.totals(await store.get_fund(conn, fund_id))
        made = DepositView(
            id=entry["id"],
            fund_id=fund_id,
            amount=body.amount,
            currency=fund["currency"],
            balance=t.balance,
            committed=t.committed,
            available=t.available,
            recorded_at=entry["recorded_at"],
        )
        await idempotency.remember(conn, retry, made, rt.cipher)
    log.info("fund.deposit", fund_id=str(fund_id), amount=body.amount)
    return made


async def put_policy(rt: Runtime, principal: Principal, fund_id: uuid.UUID, body: PolicyPut) -> FundView:
    """Set the policy; then the undecided applications of the fund's countries that had no
    fund, or that this fund priced at 0, are matched and priced again (same transaction).
    Lock order as everywhere: those applications first, then the fund."""
    suggested = [(s.purpose, s.country, s.amount) for s in body.suggested]
    async with rt.pool.acquire() as conn, conn.transaction():
        fund = await fund_or_404(conn, principal, fund_id)
        check_policy(body.ceiling, body.emergency_limit, suggested, fund["countries"])
        waiting = await applications_store.waiting_for_a_fund(conn, fund["countries"])
        fund = await fund_or_404(conn, principal, fund_id, lock=True)
        await store.put_policy(conn, fund_id, msgspec.to_builtins(body), principal.sub)
        revised = await matching.rematch_for_policy(conn, rt.config, fund, principal.sub) if waiting else 0
        (view,) = await fund_views(conn, [fund])
    log.info("fund.policy", fund_id=str(fund_id), applications_revised=revised)
    return view


async def reverse_deposit(
    rt: Runtime, principal: Principal, fund_id: uuid.UUID, deposit_id: int, body: ReversalCreate
) -> ReversalView:
    """Take a wrong deposit back with a reversing entry (the ledger stays append-only), once,
    and only while the fund has it available; the reason is a code, a note is encrypted."""
    async with rt.pool.acquire() as conn, conn.transaction():
        fund = await fund_or_404(conn, principal, fund_id, lock=True)
        deposit = await store.ledger_entry(conn, fund_id, deposit_id)
        if deposit is None or deposit["kind"] != "deposit":
            raise NotFound("this fund has no such deposit", code="fund.deposit_not_found")
        if await store.reversal_of(conn, deposit_id) is not None:
            raise Conflict("this deposit is already reversed", code="fund.deposit_already_reversed")
        check_reversal(store.totals(fund), deposit["amount"], fund["currency"])
        note_enc = None
        note_id = uuid.uuid4()
        if body.note:
            if rt.cipher is None:
                raise Unavailable(
                    "notes cannot be stored: the PII keys are not configured", code="fund.notes_unavailable"
                )
            note_enc = rt.cipher.encrypt_obj(body.note, aad=note_id.bytes + NOTE_PURPOSE)
        entry = await store.append_reversal(conn, deposit, body.reason_code, principal.sub)
        if note_enc is not None:
            await store.insert_note(conn, note_id, entry["id"], note_enc)
        t = store.totals(await store.get_fund(conn, fund_id))
    log.info("fund.deposit_reversed", fund_id=str(fund_id), reason_code=body.reason_code)
    return ReversalView(
        id=entry["id"],
        fund_id=fund_id,
        deposit_id=deposit_id,
        amount=entry["amount"],
        currency=fund["currency"],
        reason_code=body.reason_code,
        has_note=note_enc is not None,
        balance=t.balance,
        committed=t.committed,
        available=t.available,
        recorded_at=entry["recorded_at"],
    )


async def add_member(rt: Runtime, principal: Principal, fund_id: uuid.UUID, body: MemberAdd) -> MemberView:
    async with rt.pool.acquire() as conn, conn.transaction():
        await fund_or_404(conn, principal, fund_id, lock=True)
        await store.add_member(conn, fund_id, body.sub, principal.sub)
        members = (await store.members_of(conn, [fund_id]))[fund_id]
    return MemberView(id=body.sub, fund_id=fund_id, sub=body.sub, members=members)
