"""Which use case each event this service reads leads to (payload type -> handler)."""

from __future__ import annotations

from services.shelters.placements import lifecycle, service
from shared.consumer import EventContext, Handlers
from shared.events import AssessmentRecorded, CaseClosed, Envelope


async def on_assessment_recorded(ctx: EventContext, event: Envelope[AssessmentRecorded]) -> None:
    """A shelter measure: request a placement and hold beds, or waitlist the family."""
    await service.on_assessment(ctx.conn, ctx.config, event)


async def on_case_closed(ctx: EventContext, event: Envelope[CaseClosed]) -> None:
    """The case is closed: cancel what is requested, held or confirmed for it."""
    await lifecycle.on_case_closed(ctx.conn, ctx.config, event)


RISK: Handlers = {AssessmentRecorded: on_assessment_recorded, CaseClosed: on_case_closed}
