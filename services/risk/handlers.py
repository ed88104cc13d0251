"""Shelters and funds events about risk's cases, turned into timeline steps and
re-assessment marks (run by the shared consumer inside its transaction)."""

from __future__ import annotations

import uuid

import asyncpg

from services.risk import domain, store
from shared.events import PAYLOAD_TYPES, Envelope, PlacementEnded, ShelterCompromised
from shared.logging import get_logger

log = get_logger(__name__)

# Every type the other services publish, so a type added to shared/events.py later is
# followed without a change here (summary_for falls back to the type's own words).
SHELTERS_TYPES = tuple(t for t in PAYLOAD_TYPES if t.TYPE.startswith("amparo.shelters."))
FUNDS_TYPES = tuple(t for t in PAYLOAD_TYPES if t.TYPE.startswith("amparo.funds."))
# Events after which the measures may no longer fit: she needs a new assessment.
DUE_REASONS = {PlacementEnded.TYPE: "placement_ended", ShelterCompromised.TYPE: "shelter_compromised"}


def _cases_of(event: Envelope) -> list[uuid.UUID]:
    ids = [event.case_id] if event.case_id is not None else []
    # A compromised shelter concerns everyone placed in it; the envelope names no single case.
    for case_id in getattr(event.data, "affected_case_ids", []):
        if case_id not in ids:
            ids.append(case_id)
    return ids


async def on_case_event(conn: asyncpg.Connection, event: Envelope) -> None:
    summary = domain.summary_for(event)
    reason = DUE_REASONS.get(event.type)
    for case_id in _cases_of(event):
        if not await store.case_exists(conn, case_id):
            # Not one of ours (another deployment's test data, or a case id typed by hand).
            log.warning("timeline.unknown_case", event_type=event.type)
            continue
        await store.add_step(
            conn,
            case_id=case_id,
            step_id=event.id,
            type=event.type,
            occurred_at=event.occurred_at,
            service=event.producer,
            summary=summary,
        )
        if reason is not None:
            await store.mark_due(conn, case_id=case_id, reason=reason, source_id=event.id)


def shelters_handlers() -> dict:
    return {t.TYPE: on_case_event for t in SHELTERS_TYPES}


def funds_handlers() -> dict:
    return {t.TYPE: on_case_event for t in FUNDS_TYPES}
