"""Placement use cases: a request from an assessment (the event use case ``on_assessment``)
or from staff (``request_placement``), reconciling a new assessment with an active
placement, and the reads. Holding beds is the hold engine's (``placements.holds``), which
every path shares.
"""

from __future__ import annotations

import uuid

import asyncpg

from services.shelters import events
from services.shelters.cases.service import open_case_in_scope
from services.shelters.config import SheltersConfig
from services.shelters.domain import waitlist
from services.shelters.placements import schemas, store
from services.shelters.placements.holds import open_request_tx, party_of
from services.shelters.waitlist.store import update_waiting_request
from shared import idempotency
from shared.auth import Principal
from shared.db import retry_transaction
from shared.errors import Conflict, NotFound
from shared.events import (
    AssessmentRecorded,
    Envelope,
    Party,
    PlacementReconciled,
)
from shared.idempotency import IdempotentRequest
from shared.logging import get_logger
from shared.outbox import enqueue

log = get_logger(__name__)


# --- use cases ------------------------------------------------------------------------


def _clean(text: str) -> str:
    # Events are not validated like HTTP bodies; PostgreSQL text cannot hold NUL.
    return text.replace("\x00", "")


async def on_assessment(conn, config: SheltersConfig, event: Envelope[AssessmentRecorded]) -> None:
    """An assessment with a ``shelter`` measure: request a placement and hold beds, or
    waitlist the family. A case that already has an active placement is reconciled, never
    silently skipped (see ``reconcile_tx``)."""
    data = event.data
    if "shelter" not in data.measures or event.case_id is None:
        return
    excluded = [_clean(r) for r in data.excluded_regions]
    needs = [_clean(n) for n in data.party.accessibility_needs]
    party = Party(
        adults=data.party.adults, children_ages=list(data.party.children_ages), accessibility_needs=needs
    )
    existing = await store.active_placement_for_case(conn, event.case_id)
    if existing is not None:
        await reconcile_tx(conn, existing, event, party=party, excluded=excluded)
        return
    await open_request_tx(
        conn,
        config,
        case_id=event.case_id,
        country=data.country,
        region=_clean(data.region) if data.region else None,
        party=party,
        level=data.level,
        excluded_regions=excluded,
        source="assessment",
        assessment_id=data.assessment_id,
        causation=event,
    )


async def reconcile_tx(
    conn, existing: asyncpg.Record, event: Envelope[AssessmentRecorded], *, party: Party, excluded: list[str]
) -> None:
    """A new assessment met the case's active placement (asked for by staff, by an earlier
    assessment or by a relocation). A request still waiting takes the new level, party
    and exclusions (its place in the queue). Beds already held, confirmed or lived in are
    not moved behind staff's back: the placement keeps them, takes the new level, and is
    flagged for staff to review. Either way a ``PlacementReconciled`` event says so, so
    the case's timeline tells what happened to the new assessment."""
    data = event.data
    if existing["status"] == "requested":
        outcome = "updated"
        await update_waiting_request(
            conn,
            existing["id"],
            level=data.level,
            level_rank=waitlist.rank(data.level),
            adults=party.adults,
            children_ages=party.children_ages,
            accessibility_needs=list(party.accessibility_needs),
            excluded_regions=excluded,
        )
    else:
        outcome = "flagged"
        await store.flag_for_review(
            conn, existing["id"], reason="reassessed", level=data.level, level_rank=waitlist.rank(data.level)
        )
    reconciled = PlacementReconciled(
        placement_id=existing["id"],
        assessment_id=data.assessment_id,
        outcome=outcome,
        status=existing["status"],
        source=existing["source"],
        level=data.level,
    )
    await enqueue(conn, events.new(reconciled, case_id=event.case_id, causation=event))
    log.info("placement.reconciled", placement_id=str(existing["id"]), outcome=outcome)


def _already_active(existing: asyncpg.Record | None) -> Conflict:
    extra = {"placement_id": str(existing["id"]), "placement_status": existing["status"]} if existing else {}
    which = f" ({existing['id']}, {existing['status']})" if existing else ""
    return Conflict(
        f"this case already has an active placement{which}; cancel it before requesting another",
        code="placement.already_active",
        extra=extra,
    )


async def request_placement(
    rt, principal: Principal, body: schemas.PlacementCreate, retry: IdempotentRequest | None = None
) -> schemas.Placement:
    """Staff ask for beds for a case: held at once for the whole party, or waitlisted.
    The case must be one risk announced, open, and in the caller's countries."""

    async def work(conn) -> schemas.Placement:
        if (first := await idempotency.replayed(conn, retry, schemas.Placement, rt.cipher)) is not None:
            return first
        await open_case_in_scope(conn, principal, body.case_id, body.country)
        existing = await store.active_placement_for_case(conn, body.case_id)
        if existing is not None:
            raise _already_active(existing)
        try:
            async with conn.transaction():
                placement_id, _ = await open_request_tx(
                    conn,
                    rt.config,
                    case_id=body.case_id,
                    country=body.country,
                    region=body.region,
                    party=body.party,
                    level=body.level,
                    excluded_regions=body.excluded_regions,
                    stay_days=body.stay_days,
                    source="api",
                )
        except asyncpg.UniqueViolationError:
            # Another request for the case committed first (one active placement per case).
            raise _already_active(None) from None
        placement = placement_out(await store.get_placement(conn, placement_id))
        await idempotency.remember(conn, retry, placement, rt.cipher)
        return placement

    return await retry_transaction(rt.pool, work)


def placement_out(p: asyncpg.Record) -> schemas.Placement:
    return schemas.Placement(
        id=p["id"],
        case_id=p["case_id"],
        status=p["status"],
        level=p["level"],
        country=p["country"],
        region=p["region"],
        party=party_of(p),
        party_size=p["adults"] + len(p["children_ages"]),
        excluded_regions=list(p["excluded_regions"]),
        stay_days=p["stay_days"],
        waitlisted=p["waitlisted"],
        shelter_id=p["shelter_id"],
        shelter_code=p["shelter_code"],
        shelter_country=p["shelter_country"],
        shelter_region=p["shelter_region"],
        bed_ids=list(p["bed_ids"]),
        hold_expires_at=p["hold_expires_at"],
        starts_at=p["starts_at"],
        expected_end=p["expected_end"],
        reason=p["reason"],
        relocation_of=p["relocation_of"],
        needs_relocation=p["needs_relocation"],
        review_reason=p["review_reason"],
        requested_at=p["requested_at"],
        held_at=p["held_at"],
        confirmed_at=p["confirmed_at"],
        checked_in_at=p["checked_in_at"],
        ended_at=p["ended_at"],
        end_reason=p["end_reason"],
    )


def check_visible(principal: Principal, p: asyncpg.Record | None) -> asyncpg.Record:
    """A placement is visible in its case's country (wherever the shelter is) or in its
    shelter's country. Anywhere else it answers like no placement at all."""
    if p is not None and (
        principal.can_see(p["country"]) or (p["shelter_country"] and principal.can_see(p["shelter_country"]))
    ):
        return p
    raise not_found()


def not_found() -> NotFound:
    return NotFound("there is no such placement", code="placement.not_found")


async def get_placement(rt, principal: Principal, placement_id: uuid.UUID) -> schemas.Placement:
    async with rt.pool.acquire() as conn:
        row = await store.get_placement(conn, placement_id)
    return placement_out(check_visible(principal, row))


async def list_placements(
    rt, principal: Principal, *, country, case_id, status, shelter_id, limit, offset
) -> tuple[list[schemas.Placement], int]:
    countries = principal.visible_countries(country)
    async with rt.pool.acquire() as conn:
        rows, total = await store.list_placements(
            conn,
            countries=countries,
            case_id=case_id,
            status=status,
            shelter_id=shelter_id,
            limit=limit,
            offset=offset,
        )
    return [placement_out(r) for r in rows], total
