"""Which use case each event this service reads leads to (payload type -> handler)."""

from __future__ import annotations

from services.funds.applications import service as applications
from shared.consumer import EventContext, Handlers
from shared.events import AssessmentRecorded, CaseClosed, Envelope


async def on_assessment_recorded(ctx: EventContext, event: Envelope[AssessmentRecorded]) -> None:
    """Grant measures: open the application with the suggested amounts."""
    await applications.open_from_assessment(ctx.conn, ctx.config, event)


async def on_case_closed(ctx: EventContext, event: Envelope[CaseClosed]) -> None:
    """The case is closed: close its undecided applications."""
    await applications.close_for_closed_case(ctx.conn, event)


RISK: Handlers = {AssessmentRecorded: on_assessment_recorded, CaseClosed: on_case_closed}
