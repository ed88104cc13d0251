"""NATS connection and the JetStream streams (one per producer, plus dead letters), and
what each service's NATS user may do (``service_permissions``).

Each service connects with its own user; the server lets it publish only its own
subjects (``amparo.<svc>.>``) and its own dead letters, and use only its own durable
consumers (``<svc>-<stream>``). Replies come to ``_INBOX.<user>.>`` so no service can
read another's replies. Settings without a user connect without credentials (tests)."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable

import nats
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError, ServerError

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


def streams_of(service: str) -> list[str]:
    """The streams a service produces into (its own)."""
    return [name for name, subjects in STREAMS.items() if subjects == [f"amparo.{service}.>"]]


def consumer_name(service: str, stream: str) -> str:
    """The durable consumer of ``service`` on ``stream``: the permissions name it."""
    return f"{service}-{stream.lower()}"


def server_list(url: str) -> list[str]:
    """``nats://a:4222,nats://b:4222``: one URL per server of a cluster (nats-py takes a
    list; a comma-separated string would be read as one malformed URL)."""
    return [part.strip() for part in url.split(",") if part.strip()]


def inbox_prefix(user: str) -> str:
    return f"_INBOX.{user}"


def service_permissions(service: str) -> dict[str, dict[str, list[str]]]:
    """The nats-server ``permissions`` block of a service's user (the minimal set that
    publishing through the outbox, consuming with durable pull consumers and
    dead-lettering need; tests/shared/test_nats_auth.py proves both halves)."""
    publish = [f"amparo.{service}.>"]
    for stream in streams_of(service):
        publish += [f"$JS.API.STREAM.{verb}.{stream}" for verb in ("INFO", "CREATE", "UPDATE")]
    # /metrics (shared/metrics.py) counts the dead letters; the admin routes (shared.admin)
    # read them and delete one once replayed or discarded. Stream-wide (NATS cannot limit a
    # get by subject); the routes show and act only on this service's own consumers'
    # letters, and letters carry no personal data.
    publish += [f"$JS.API.STREAM.{verb}.DEADLETTER" for verb in ("INFO", "MSG.GET", "MSG.DELETE")]
    for stream in STREAMS:
        if stream == "DEADLETTER":
            continue
        durable = consumer_name(service, stream)
        publish += [
            f"deadletter.{stream}.{durable}",
            f"deadletter.discarded.{stream}.{durable}",
            # nats-py creates a durable through DURABLE.CREATE (CREATE when a name is set).
            f"$JS.API.CONSUMER.CREATE.{stream}.{durable}",
            f"$JS.API.CONSUMER.DURABLE.CREATE.{stream}.{durable}",
            f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
            f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
            f"$JS.ACK.{stream}.{durable}.>",
            f"$JS.API.STREAM.MSG.GET.{stream}",
        ]
    return {"publish": {"allow": publish}, "subscribe": {"allow": [inbox_prefix(service) + ".>"]}}


def credentials(settings) -> dict:
    """``connect`` keyword arguments from the settings: a creds file, or user and password,
    and the CA of the servers' certificates for tls:// URLs."""
    found: dict = {}
    if settings.nats_creds_file:
        found["user_credentials"] = settings.nats_creds_file
    elif settings.nats_user:
        found.update(user=settings.nats_user, password=settings.nats_password)
    if settings.nats_tls_ca_file:
        import ssl

        found["tls"] = ssl.create_default_context(cafile=settings.nats_tls_ca_file)
    return found


async def connect(
    url: str,
    *,
    name: str,
    exit_on_close: Callable[[], bool] | None = None,
    user: str | None = None,
    password: str | None = None,
    user_credentials: str | None = None,
    tls=None,
    on_reconnect: Callable[[], None] | None = None,
) -> nats.NATS:
    """Reconnect forever. A connection that closes for good ends the process (#735) when
    ``exit_on_close()`` says so (it says no while the service itself is shutting down).
    With a ``user``, replies come to that user's own inbox prefix (its permissions)."""

    async def closed() -> None:
        if exit_on_close is not None and exit_on_close():
            log.error("nats.connection_closed")
            os.kill(os.getpid(), signal.SIGTERM)

    async def disconnected() -> None:
        log.warning("nats.disconnected")

    async def reconnected() -> None:
        log.info("nats.reconnected")
        if on_reconnect is not None:
            on_reconnect()

    async def error(exc: Exception) -> None:
        log.warning("nats.error", error=type(exc).__name__)

    auth: dict = {}
    if user:
        auth = {"user": user, "password": password or "", "inbox_prefix": inbox_prefix(user)}
    elif user_credentials:
        auth = {"user_credentials": user_credentials}
    if tls is not None:
        auth["tls"] = tls
    return await nats.connect(
        server_list(url),
        **auth,
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


def _stream_config(name: str, replicas: int) -> StreamConfig:
    return StreamConfig(
        name=name,
        subjects=STREAMS[name],
        storage=StorageType.FILE,
        retention=RetentionPolicy.LIMITS,
        discard=DiscardPolicy.OLD,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
    )


async def ensure_streams(js, *, replicas: int = 1, only: list[str] | None = None) -> None:
    """Create or update the streams (``only`` these); safe to call from every replica at start."""
    for name in STREAMS:
        if only is not None and name not in only:
            continue
        config = _stream_config(name, replicas)
        try:
            await js.stream_info(name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)


async def restore_streams(js, *, replicas: int = 1, only: list[str] | None = None) -> list[str]:
    """Create the streams (``only`` these) that are missing, say an operator deleted one
    by mistake; returns their names. Cheap enough for a timer: one info request each.
    What the lost stream held comes back only by replay (``amparo replay``); events
    published from now on flow again, the outbox's backlog first."""
    created = []
    for name in STREAMS:
        if only is not None and name not in only:
            continue
        try:
            await js.stream_info(name)
            continue
        except NotFoundError:
            pass
        try:
            await js.add_stream(_stream_config(name, replicas))
        except BadRequestError:  # another replica created it first
            continue
        log.warning("broker.stream_recreated", stream=name)
        created.append(name)
    return created


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
