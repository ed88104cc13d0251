"""NATS connection and the JetStream streams (one per producer, plus dead letters)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

import nats
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError, ServerError

from shared.logging import get_logger

log = get_logger(__name__)

STREAMS: dict[str, list[str]] = {
    "RISK": ["amparo.risk.>"],
    "SHELTERS": ["amparo.shelters.>"],
    "FUNDS": ["amparo.funds.>"],
    "DEADLETTER": ["deadletter.>"],
}
# The relay republishes rows whose ack was lost; JetStream drops the duplicate inside this
# window, and the consumers' processed-event rows catch anything later.
DUPLICATE_WINDOW_SECONDS = 600.0


async def connect(url: str, *, name: str, exit_on_close: Callable[[], bool] | None = None) -> nats.NATS:
    """Reconnect forever. A connection that closes for good ends the process (#735) when
    ``exit_on_close()`` says so (it says no while the service itself is shutting down)."""

    async def closed() -> None:
        if exit_on_close is not None and exit_on_close():
            log.error("nats.connection_closed")
            os.kill(os.getpid(), signal.SIGTERM)

    async def disconnected() -> None:
        log.warning("nats.disconnected")

    async def reconnected() -> None:
        log.info("nats.reconnected")

    async def error(exc: Exception) -> None:
        log.warning("nats.error", error=type(exc).__name__)

    return await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        connect_timeout=5,
        allow_reconnect=True,
        closed_cb=closed,
        disconnected_cb=disconnected,
        reconnected_cb=reconnected,
        error_cb=error,
    )


async def ensure_streams(js, *, replicas: int = 1) -> None:
    """Create or update the streams; safe to call from every replica at start."""
    for name, subjects in STREAMS.items():
        config = StreamConfig(
            name=name,
            subjects=subjects,
            storage=StorageType.FILE,
            retention=RetentionPolicy.LIMITS,
            discard=DiscardPolicy.OLD,
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
            num_replicas=replicas,
        )
        try:
            await js.stream_info(name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)


async def reset_streams(js, *, timeout: float = 10.0) -> None:
    """Empty streams (tests, benchmark): delete and create them again. nats-server may still
    be removing a deleted file store ("error creating store for stream"), so creating is
    tried again until ``timeout``."""
    await delete_streams(js)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            await ensure_streams(js)
            return
        except (ServerError, NotFoundError):
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.05)


async def delete_streams(js) -> None:
    for name in STREAMS:
        try:
            await js.delete_stream(name)
        except NotFoundError:
            pass
