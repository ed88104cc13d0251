"""The application read model: lines, money from the ledger, the committee's tally and
the deadlines, for one application or a page of them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
import msgspec

from services.funds.applications import context, store
from services.funds.applications.schemas import ApplicationView, LineView, MatchView, RevisionView, Tally
from services.funds.committee import store as committee_store
from services.funds.domain import deadlines
from services.funds.funds import store as funds_store
from shared.auth import Principal
from shared.errors import NotFound
from shared.pagination import Page
from shared.runtime import Runtime


async def application_or_404(
    conn, principal: Principal | None, app_id: uuid.UUID, *, lock: bool = False
) -> asyncpg.Record:
    """The application, if it exists and its country is in the caller's token; one of
    another country answers exactly like none (no existence oracle)."""
    app = await store.get_application(conn, app_id, lock=lock)
    if app is None or (principal is not None and not principal.can_see(app["country"])):
        raise NotFound("there is no such application", code="application.not_found")
    return app


async def views(conn, apps: list[asyncpg.Record]) -> list[ApplicationView]:
    if not apps:
        return []
    ids = [a["id"] for a in apps]
    lines = await store.lines_of(conn, ids)
    money = await funds_store.money_of(conn, ids)
    policies = await funds_store.policies_of(conn, list({a["fund_id"] for a in apps if a["fund_id"]}))
    quorums = {a["id"]: policies[a["fund_id"]]["quorum"] for a in apps if a["fund_id"] in policies}
    tallies = await committee_store.tallies_of(conn, ids, quorums)
    revisions = await store.revisions_of(conn, ids)
    assessed = await context.of(conn, ids)
    now = datetime.now(UTC)
    out = []
    for a in apps:
        paid, released = money.get(a["id"], (0, 0))
        tally = tallies[a["id"]]
        reason = deadlines.flag_reason(
            a["status"], a["ratified"], a["flag_reason"], a["ratification_due_at"], now
        )
        out.append(
            ApplicationView(
                id=a["id"],
                case_id=a["case_id"],
                assessment_id=a["assessment_id"],
                fund_id=a["fund_id"],
                country=a["country"],
                track=a["track"],
                status=a["status"],
                currency=a["currency"],
                lines=[
                    LineView(purpose=r["purpose"], amount=r["amount"], approved=r["approved"])
                    for r in lines[a["id"]]
                ],
                requested=a["requested"],
                approved=a["approved"],
                paid=paid,
                released=released,
                ratified=a["ratified"],
                opened_by=a["opened_by"],
                flagged=reason is not None,
                flag_reason=reason,
                overdue=deadlines.is_overdue(a["status"], a["due_at"], now),
                opened_at=a["opened_at"],
                due_at=a["due_at"],
                decided_at=a["decided_at"],
                ratification_due_at=a["ratification_due_at"],
                ratified_at=a["ratified_at"],
                first_paid_at=a["first_paid_at"],
                closed_at=a["closed_at"],
                tally=Tally(
                    members=tally.members,
                    recused=tally.recused,
                    eligible=tally.eligible,
                    required=tally.required,
                    approvals=len(tally.approvals),
                    rejections=tally.rejections,
                    info_requests=tally.info_requests,
                ),
                match=None
                if a["match_reason"] is None
                else MatchView(
                    reason=a["match_reason"],
                    available=a["match_available"],
                    needed=a["match_needed"],
                    currency=a["match_currency"],
                ),
                follows_id=a["follows_id"],
                revision=a["revision"],
                revisions=[msgspec.convert(dict(r), RevisionView) for r in revisions[a["id"]]],
                assessed=assessed.get(a["id"]),
            )
        )
    return out


async def view(conn, app_id: uuid.UUID) -> ApplicationView:
    (one,) = await views(conn, [await store.get_application(conn, app_id)])
    return one


async def list_applications(
    rt: Runtime,
    principal: Principal,
    *,
    country: str | None,
    case_id: uuid.UUID | None,
    status: str | None,
    overdue: bool | None,
    flagged: bool | None,
    fund_id: uuid.UUID | None,
    limit: int,
    offset: int,
    mine: bool | None = None,
    ratified: bool | None = None,
) -> Page[ApplicationView]:
    countries = principal.visible_countries(country)
    async with rt.pool.acquire() as conn:
        rows, total = await store.list_applications(
            conn,
            countries=countries,
            case_id=case_id,
            status=status,
            overdue=overdue,
            flagged=flagged,
            fund_id=fund_id,
            now=datetime.now(UTC),
            limit=limit,
            offset=offset,
            mine=mine,
            member=principal.sub,
            ratified=ratified,
        )
        return Page(items=await views(conn, rows), total=total, limit=limit, offset=offset)


async def get_application(rt: Runtime, principal: Principal, app_id: uuid.UUID) -> ApplicationView:
    async with rt.pool.acquire() as conn:
        (one,) = await views(conn, [await application_or_404(conn, principal, app_id)])
        return one
