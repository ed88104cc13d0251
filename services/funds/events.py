"""The events this service produces: each written to the outbox in the transaction of the
change it announces, named as produced by funds, with the event that caused it if any."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from shared.events import Envelope, P, new_event
from shared.outbox import enqueue

PRODUCER = "funds"


def event(payload: P, case_id: uuid.UUID | None, causation: Envelope[Any] | None = None) -> Envelope[P]:
    return new_event(payload, producer=PRODUCER, case_id=case_id, causation=causation)


async def emit(
    conn: asyncpg.Connection, payload: P, case_id: uuid.UUID | None, causation: Envelope[Any] | None = None
) -> None:
    await enqueue(conn, event(payload, case_id, causation))
