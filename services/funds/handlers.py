"""Which use case each event this service reads leads to (payload type -> handler)."""

from __future__ import annotations

from services.funds.applications import consent, context
from services.funds.applications import service as applications
from services.funds.cases import service as cases
from services.funds.retention import service as retention
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


async def on_case_opened(ctx: EventContext, event: Envelope[CaseOpened]) -> None:
    """A case is known from now on: an application may be opened for it by hand."""
    await cases.on_opened(ctx.conn, event)


async def on_assessment_recorded(ctx: EventContext, event: Envelope[AssessmentRecorded]) -> None:
    """Grant measures: open the application with the suggested amounts, only if she
    consented to share her case with the funds when it was recorded (the event carries it)."""
    await cases.on_assessed(ctx.conn, event)
    if "funds" in event.data.shared_with:
        app_id = await applications.open_from_assessment(ctx.conn, ctx.config, event)
        # What the committee reads to decide it (level, measures, party size; nothing personal).
        await context.record(ctx.conn, app_id, event.data)


async def on_case_closed(ctx: EventContext, event: Envelope[CaseClosed]) -> None:
    """The case is closed: close its undecided applications."""
    await cases.on_closed(ctx.conn, event)
    await applications.close_for_closed_case(ctx.conn, event)


async def on_personal_data_blocked(ctx: EventContext, event: Envelope[CasePersonalDataBlocked]) -> None:
    """Nothing funds shows is blocked: noted only (services/funds/README.md, Retention)."""
    await retention.on_blocked(ctx.conn, event)


async def on_personal_data_erased(ctx: EventContext, event: Envelope[CasePersonalDataErased]) -> None:
    """Erase the vote comments and payee references of the case's applications."""
    await retention.on_erased(ctx.conn, event)


async def on_consent_revoked(ctx: EventContext, event: Envelope[ConsentRevoked]) -> None:
    """Her consent to share with the funds is revoked: withdraw her undecided applications."""
    await consent.withdraw_for_revoked_consent(ctx.conn, event)


RISK: Handlers = {
    CaseOpened: on_case_opened,
    AssessmentRecorded: on_assessment_recorded,
    CaseClosed: on_case_closed,
    CasePersonalDataBlocked: on_personal_data_blocked,
    CasePersonalDataErased: on_personal_data_erased,
    ConsentRevoked: on_consent_revoked,
}
