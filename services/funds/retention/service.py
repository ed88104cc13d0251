"""Funds' part of retention (issue 14): risk decides when a case's personal data is blocked
or erased and says so in an event; funds erases its own ciphertexts for the case in the
transaction of the processed-event row.

Blocking asks nothing of funds: vote comments are never shown back by any route, and a
payee reference is only compared (decrypted) when a disbursement is retried with its
Idempotency-Key; neither is a read of personal data a person could make.
"""

from __future__ import annotations

import asyncpg

from services.funds.retention import store
from shared.events import CasePersonalDataBlocked, CasePersonalDataErased, Envelope
from shared.logging import get_logger

log = get_logger(__name__)


async def on_blocked(conn: asyncpg.Connection, event: Envelope[CasePersonalDataBlocked]) -> None:
    log.info("retention.blocked_noted", case_id=str(event.case_id))


async def on_erased(conn: asyncpg.Connection, event: Envelope[CasePersonalDataErased]) -> None:
    if event.case_id is None:
        return
    counts = await store.erase_case(conn, event.case_id)
    log.info("retention.case_erased", case_id=str(event.case_id), reason=event.data.reason, **counts)
