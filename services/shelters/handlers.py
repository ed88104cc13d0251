"""Which use case each event this service reads leads to (payload type -> handler)."""

from __future__ import annotations

from services.shelters.cases import service as cases
from services.shelters.placements import lifecycle, service
from shared.consumer import EventContext, Handlers
from shared.events import (
    AssessmentRecorded,
    CaseClosed,
    CaseOpened,
    CasePersonalDataBlocked,
    CasePersonalDataErased,
    ConsentRevoked,
    Envelope,
)
from shared.logging import get_logger

log = get_logger(__name__)


async def on_case_opened(ctx: EventContext, event: Envelope[CaseOpened]) -> None:
    """A case is known from now on: staff of its country may ask beds for it."""
    await cases.on_opened(ctx.conn, event)


async def on_assessment_recorded(ctx: EventContext, event: Envelope[AssessmentRecorded]) -> None:
    """A shelter measure: request a placement and hold beds, or waitlist the family (or
    reconcile the placement the case already has), only if she consented to share her
    case with shelters when it was recorded (the event carries it; risk's timeline says
    why nothing happened otherwise)."""
    await cases.on_assessed(ctx.conn, event)
    if "shelters" in event.data.shared_with:
        await service.on_assessment(ctx.conn, ctx.config, event)


async def on_case_closed(ctx: EventContext, event: Envelope[CaseClosed]) -> None:
    """The case is closed: cancel what is requested, held or confirmed for it."""
    await cases.on_closed(ctx.conn, event)
    await lifecycle.on_case_closed(ctx.conn, ctx.config, event)


async def on_personal_data_retained(
    ctx: EventContext, event: Envelope[CasePersonalDataBlocked] | Envelope[CasePersonalDataErased]
) -> None:
    """Blocked or erased in risk: shelters holds no personal data of a case to block or
    erase (a placement keeps codes and counts: the case's country and region, the party's
    size, children's ages and needs as codes, the level; the shelter's address is the
    shelter's, not hers). Noted, so the decision is visible (services/shelters/README.md)."""
    log.info("retention.nothing_to_erase", case_id=str(event.case_id), event_type=event.type)


async def on_consent_revoked(ctx: EventContext, event: Envelope[ConsentRevoked]) -> None:
    """Her consent to share with shelters is revoked: release what is not checked in."""
    await lifecycle.on_consent_revoked(ctx.conn, ctx.config, event)


RISK: Handlers = {
    CaseOpened: on_case_opened,
    AssessmentRecorded: on_assessment_recorded,
    CaseClosed: on_case_closed,
    CasePersonalDataBlocked: on_personal_data_retained,
    CasePersonalDataErased: on_personal_data_retained,
    ConsentRevoked: on_consent_revoked,
}
