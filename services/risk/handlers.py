"""Which use case each event this service reads leads to (payload type -> handler).

Risk reads every event of shelters and funds about its cases into the timeline, and
marks a re-assessment as due after the ones that change her situation.
"""

from __future__ import annotations

import uuid
from typing import Any

from services.risk import domain, store
from shared.consumer import EventContext, Handlers
from shared.events import PAYLOAD_TYPES, Envelope, PlacementEnded, ShelterCompromised
from shared.logging import get_logger

log = get_logger(__name__)

# Events after which the measures may no longer fit: she needs a new assessment.
DUE_REASONS = {PlacementEnded.TYPE: "placement_ended", ShelterCompromised.TYPE: "shelter_compromised"}


def _cases_of(event: Envelope[Any]) -> list[uuid.UUID]:
    ids = [event.case_id] if event.case_id is not None else []
    # A compromised shelter concerns everyone placed in it; the envelope names no single case.
    for case_id in getattr(event.data, "affected_case_ids", []):
        if case_id not in ids:
            ids.append(case_id)
    return ids


async def on_case_event(ctx: EventContext, event: Envelope[Any]) -> None:
    conn = ctx.conn
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


# Every type the other services publish, so a type added to shared/events.py later is
# followed without a change here (summary_for falls back to the type's own words).
SHELTERS: Handlers = {t: on_case_event for t in PAYLOAD_TYPES if t.TYPE.startswith("amparo.shelters.")}
FUNDS: Handlers = {t: on_case_event for t in PAYLOAD_TYPES if t.TYPE.startswith("amparo.funds.")}
