"""The state of one running service, as operators read it: are the database and NATS there,
how far behind is the outbox, how far behind is each consumer, how many dead letters wait.

The queries live here once, so ``GET /status`` (``shared.admin``) and ``/metrics`` read the
same numbers: the outbox's pending rows and the age of its oldest (what operators alert
on), and each durable consumer's ``consumer_info`` (nats-py: ``num_pending`` not yet
delivered, ``num_ack_pending`` delivered and not acknowledged, ``num_redelivered``).
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import ClassVar

import asyncpg
import msgspec

from shared import deadletters

TIMEOUT_SECONDS = 2.0


class OutboxBacklog(msgspec.Struct, kw_only=True):
    pending: int
    # Seconds since the oldest unpublished row was written; None when nothing waits.
    oldest_age_seconds: float | None = None


class ConsumerState(msgspec.Struct, kw_only=True):
    name: str
    stream: str
    # Messages in the stream not yet delivered to this consumer: its lag.
    lag: int | None = None
    # Delivered, not yet acknowledged (in flight or waiting for a retry).
    pending: int | None = None
    redelivered: int | None = None
    # Seconds since its last successful fetch (a stalled pull consumer, nats-py #504).
    last_fetch_seconds: float | None = None
    state: str = "ok"  # ok | stalled | unknown


class ServiceStatus(msgspec.Struct, kw_only=True):
    service: str
    ready: bool
    database: str
    broker: str
    outbox: OutboxBacklog | None = None
    consumers: list[ConsumerState] = []
    # Letters of this service's own consumers waiting for an operator; None when NATS is away.
    dead_letters: int | None = None
    checked_at: datetime

    EXAMPLE: ClassVar[dict] = {
        "service": "shelters",
        "ready": True,
        "database": "ok",
        "broker": "ok",
        "outbox": {"pending": 0, "oldest_age_seconds": None},
        "consumers": [
            {
                "name": "shelters-risk",
                "stream": "RISK",
                "lag": 0,
                "pending": 0,
                "redelivered": 0,
                "last_fetch_seconds": 0.1,
                "state": "ok",
            }
        ],
        "dead_letters": 0,
        "checked_at": "2026-11-21T14:00:00Z",
    }


async def outbox_backlog(conn: asyncpg.Connection) -> OutboxBacklog:
    """Unpublished rows and the age of the oldest (the ``outbox_pending`` partial index)."""
    row = await conn.fetchrow(
        "SELECT count(*) AS pending, "
        "EXTRACT(EPOCH FROM clock_timestamp() - min(created_at))::float8 AS oldest "
        "FROM outbox WHERE published_at IS NULL"
    )
    return OutboxBacklog(pending=row["pending"], oldest_age_seconds=row["oldest"])


async def consumer_state(js, stream: str, durable: str) -> ConsumerState:
    """One durable consumer's numbers from JetStream."""
    info = await js.consumer_info(stream, durable)
    return ConsumerState(
        name=durable,
        stream=stream,
        lag=info.num_pending,
        pending=info.num_ack_pending,
        redelivered=info.num_redelivered,
    )


async def service_status(rt) -> ServiceStatus:
    """Everything above for a running service (``shared.runtime.Runtime``); a part that does
    not answer within 2 s is reported as such, never waited on."""
    checks = await rt.readiness()
    outbox = None
    if checks.get("database") == "ok":
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS), rt.pool.acquire() as conn:
                outbox = await outbox_backlog(conn)
        except Exception:
            outbox = None
    consumers: list[ConsumerState] = []
    dead = None
    broker_ok = checks.get("nats") == "ok"
    for consumer in rt.consumers:
        state = ConsumerState(name=consumer.durable, stream=consumer.stream, state="unknown")
        if broker_ok:
            try:
                async with asyncio.timeout(TIMEOUT_SECONDS):
                    state = await consumer_state(rt.js, consumer.stream, consumer.durable)
            except Exception:
                pass
        state.last_fetch_seconds = round(max(0.0, time.monotonic() - consumer.last_fetch_ok), 3)
        if checks.get(f"consumer:{consumer.durable}") == "stalled":
            state.state = "stalled"
        consumers.append(state)
    if broker_ok:
        try:
            async with asyncio.timeout(TIMEOUT_SECONDS):
                dead = await deadletters.count(rt.js, [c.durable for c in rt.consumers])
        except Exception:
            dead = None
    return ServiceStatus(
        service=rt.service,
        ready=all(v == "ok" for v in checks.values()),
        database=checks.get("database", "unknown"),
        broker=checks.get("nats", "not used"),
        outbox=outbox,
        consumers=consumers,
        dead_letters=dead,
        checked_at=datetime.now(UTC),
    )
