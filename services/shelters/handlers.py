"""Which use case each event this service reads leads to (payload type -> handler)."""

from __future__ import annotations

from services.shelters import service
from shared.consumer import EventContext, Handlers
from shared.events import AssessmentRecorded, CaseClosed, Envelope


async def on_assessment_recorded(ctx: EventContext, event: Envelope[AssessmentRecorded]) -> None:
    """A shelter measure: request a placement and hold beds, or waitlist the family."""
    await service.on_assessment_tx(ctx.conn, ctx.config, event)


async def on_case_closed(ctx: EventContext, event: Envelope[CaseClosed]) -> None:
    """The case is closed: release what is held for it."""
    await service.on_case_closed_tx(ctx.conn, ctx.config, event)


RISK: Handlers = {AssessmentRecorded: on_assessment_recorded, CaseClosed: on_case_closed}
