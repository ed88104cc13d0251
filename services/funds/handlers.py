"""Event handlers of the funds service, run by the shared Consumer inside its transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg

from services.funds import service
from shared.config import Settings
from shared.events import Envelope


def on_assessment_recorded(settings: Settings) -> Callable[[asyncpg.Connection, Envelope], Awaitable[None]]:
    """``amparo.risk.assessment.recorded``: open the grant application for its grant measures."""

    async def handle(conn: asyncpg.Connection, event: Envelope) -> None:
        await service.open_from_assessment(conn, settings, event)

    handle.__name__ = "on_assessment_recorded"
    return handle


async def on_case_closed(conn: asyncpg.Connection, event: Envelope) -> None:
    """``amparo.risk.case.closed``: close the case's undecided applications."""
    await service.close_for_closed_case(conn, event)
