"""The projection of risk's cases that shelters and funds keep (id, country, status), so
they refuse work for cases they do not know (DESIGN.md). Each service has the ``cases``
table in its own database (its migrations) and calls these from its handlers.

Events of a case arrive in the order risk wrote them (the consumer keeps per-case
order), so ``CaseOpened`` comes first. A stream older than this projection (the consumer
had read the opening before this code existed) shows a case first in its assessment or
its closing: it is learned there, with the country those events carry.
"""

from __future__ import annotations

import uuid

import asyncpg

from shared.auth import Principal
from shared.errors import Conflict, Invalid
from shared.events import AssessmentRecorded, CaseClosed, CaseOpened, Envelope
from shared.logging import get_logger

log = get_logger(__name__)


async def on_opened(conn: asyncpg.Connection, event: Envelope[CaseOpened]) -> None:
    if event.case_id is not None:
        await _opened(conn, event.case_id, event.data.country, event.type)


async def on_assessed(conn: asyncpg.Connection, event: Envelope[AssessmentRecorded]) -> None:
    if event.case_id is not None:
        await _seen(conn, event.case_id, event.data.country, event.type)


async def on_closed(conn: asyncpg.Connection, event: Envelope[CaseClosed]) -> None:
    if event.case_id is not None and not await _closed(conn, event.case_id, event.data.country, event.type):
        # An older producer's closing of a case never heard of: nothing here to close.
        log.warning("cases.closed_unknown_case")


async def open_case_in_scope(
    conn: asyncpg.Connection, principal: Principal, case_id: uuid.UUID, country: str, *, closed_detail: str
) -> asyncpg.Record:
    """The open case a request by hand names. A case outside the caller's countries is
    refused exactly like one that does not exist (no existence oracle); ``closed_detail``
    says, in the service's words, what is not done for a closed case."""
    case = await _get(conn, case_id)
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
        raise Conflict(closed_detail, code="case.closed")
    return case


# --- SQL ------------------------------------------------------------------------------


async def _get(conn: asyncpg.Connection, case_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT id, country, status FROM cases WHERE id = $1", case_id)


async def _opened(conn: asyncpg.Connection, case_id: uuid.UUID, country: str, learned_from: str) -> None:
    """The opening is the authority on the country; it never reopens a closed case."""
    await conn.execute(
        """INSERT INTO cases (id, country, learned_from) VALUES ($1, $2, $3)
           ON CONFLICT (id) DO UPDATE SET country = EXCLUDED.country, updated_at = now()""",
        case_id,
        country,
        learned_from,
    )


async def _seen(conn: asyncpg.Connection, case_id: uuid.UUID, country: str, learned_from: str) -> None:
    """A case first heard of in a later event (a stream older than this projection)."""
    await conn.execute(
        "INSERT INTO cases (id, country, learned_from) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING",
        case_id,
        country,
        learned_from,
    )


async def _closed(
    conn: asyncpg.Connection, case_id: uuid.UUID, country: str | None, learned_from: str
) -> bool:
    """Mark the case closed; False when it is unknown and the event did not say its country."""
    if country is None:
        done = await conn.execute(
            "UPDATE cases SET status = 'closed', updated_at = now() WHERE id = $1", case_id
        )
        return done != "UPDATE 0"
    await conn.execute(
        """INSERT INTO cases (id, country, status, learned_from) VALUES ($1, $2, 'closed', $3)
           ON CONFLICT (id) DO UPDATE SET status = 'closed', updated_at = now()""",
        case_id,
        country,
        learned_from,
    )
    return True
