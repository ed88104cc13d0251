"""Use cases of the case projection: learn cases from risk's events, and find the case an
application by hand names.

Events of a case arrive in the order risk wrote them (the consumer keeps per-case
order), so ``CaseOpened`` comes first. A stream older than this projection (the consumer
had read the opening before this code existed) shows a case first in its assessment or
its closing: it is learned there, with the country those events carry.
"""

from __future__ import annotations

import uuid

import asyncpg

from services.funds.cases import store
from shared.auth import Principal
from shared.errors import Conflict, Invalid
from shared.events import AssessmentRecorded, CaseClosed, CaseOpened, Envelope
from shared.logging import get_logger

log = get_logger(__name__)


async def on_opened(conn: asyncpg.Connection, event: Envelope[CaseOpened]) -> None:
    if event.case_id is not None:
        await store.opened(conn, event.case_id, event.data.country, event.type)


async def on_assessed(conn: asyncpg.Connection, event: Envelope[AssessmentRecorded]) -> None:
    if event.case_id is not None:
        await store.seen(conn, event.case_id, event.data.country, event.type)


async def on_closed(conn: asyncpg.Connection, event: Envelope[CaseClosed]) -> None:
    if event.case_id is not None and not await store.closed(
        conn, event.case_id, event.data.country, event.type
    ):
        # An older producer's closing of a case never heard of: nothing here to close.
        log.warning("cases.closed_unknown_case")


async def open_case_in_scope(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, country: str
) -> asyncpg.Record:
    """The open case an application by hand names. A case outside the caller's countries
    is refused exactly like one that does not exist (no existence oracle)."""
    case = await store.get(conn, case_id)
    if case is None or not principal.can_see(case["country"]):
        raise Invalid(
            "case_id names no case you can see; open the case in risk first, or correct the id",
            code="case.unknown",
            extra={"field": "case_id"},
        )
    if country != case["country"]:
        raise Invalid(
            "country must be the case's country",
            code="case.country_mismatch",
            extra={"field": "country", "country": case["country"]},
        )
    if case["status"] != "open":
        raise Conflict("the case is closed; no application is opened for it", code="case.closed")
    return case
