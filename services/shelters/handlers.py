"""Event handlers, run by the shared Consumer inside its transaction (one savepoint each)."""

from __future__ import annotations

from services.shelters import service
from shared.events import AssessmentRecorded, CaseClosed, Envelope


def risk_handlers(rt) -> dict:
    """Handlers for the ``shelters-risk`` consumer; they need the runtime's settings."""

    async def on_assessment_recorded(conn, event: Envelope) -> None:
        await service.on_assessment_tx(conn, rt.settings, event)

    async def on_case_closed(conn, event: Envelope) -> None:
        await service.on_case_closed_tx(conn, rt.settings, event)

    return {AssessmentRecorded.TYPE: on_assessment_recorded, CaseClosed.TYPE: on_case_closed}
