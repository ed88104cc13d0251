"""What a service is (``ServiceSpec``) and what runs while it is up (``Runtime``): the
pool, NATS, the outbox relay, the consumers of its subscriptions and its periodic jobs.
``shared.bootstrap.build_app`` puts a Litestar app around it."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar
from nats.js.errors import NotFoundError

from shared import broker, db, places
from shared.ciphertexts import KeyRefusal, registry, verify_keys
from shared.config import ConfigError, Settings
from shared.consumer import Consumer, Handlers
from shared.crypto import KeyFileError, PiiCipher, load_cipher
from shared.logging import get_logger
from shared.metrics import ScrapeGauge
from shared.outbox import OutboxRelay

log = get_logger(__name__)


@dataclass(frozen=True)
class Subscription:
    """The events of one stream this service acts on: payload type -> handler."""

    stream: str
    handlers: Handlers
    # Seconds this reader lets events gather between fetches. 0 for a reader on a case's
    # path (an assessment waits on shelters and funds); more for readers nobody waits on
    # (risk's timeline, the console's notices): fewer, larger transactions leave the cores
    # to the path (README, Benchmark).
    gather_seconds: float = 0.0


@dataclass(frozen=True)
class Job:
    """A periodic job; a failing run is logged and tried again at the next period."""

    every_seconds: float
    run: Callable[[Runtime], Awaitable[None]]

    @property
    def name(self) -> str:
        return getattr(self.run, "__name__", "job")


class NoConfig(msgspec.Struct, frozen=True):
    """For a service without domain settings."""


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    description: str
    routes: Sequence[Any]
    migrations: Path
    subscriptions: Sequence[Subscription] = ()
    jobs: Sequence[Job] = ()
    # The service's own domain settings (hold hours, decision hours, ...), a msgspec
    # Struct read from AMPARO_<FIELD> variables like the shared ones.
    config: type[msgspec.Struct] = NoConfig
    # A service that stores personal data refuses to start without its key.
    needs_pii_key: bool = False
    tags: Sequence[str] = field(default_factory=tuple)
    # The console: no bearer tokens (it signs people in itself), and Litestar options of
    # its own (templates, static files, middleware).
    bearer_auth: bool = True
    app_options: Mapping[str, Any] = field(default_factory=dict)
    # Its own numbers for /metrics, read from its database at scrape time (shared.metrics).
    gauges: Sequence[ScrapeGauge] = ()


class Runtime:
    """A running service: its settings and config, pool, NATS, relay, consumers and jobs."""

    STREAMS_CHECK_SECONDS = 5.0

    def __init__(self, spec: ServiceSpec, settings: Settings, config: Any) -> None:
        self.spec = spec
        self.service = spec.name
        self.settings = settings
        self.config = config
        self.pool: asyncpg.Pool = None  # type: ignore[assignment]
        self.nc = None
        self.js = None
        self.cipher: PiiCipher | None = None
        self.relay: OutboxRelay | None = None
        self.consumers: list[Consumer] = []
        self._tasks: list[asyncio.Task] = []
        self._stopping = False
        self._streams_due = asyncio.Event()

    def new_consumer(self, subscription: Subscription) -> Consumer:
        """The durable consumer ``<service>-<stream>`` with this service's settings."""
        return Consumer(
            pool=self.pool,
            js=self.js,
            stream=subscription.stream,
            durable=broker.consumer_name(self.service, subscription.stream),
            handlers=subscription.handlers,
            config=self.config,
            max_deliver=self.settings.consumer_max_deliver,
            ack_wait=self.settings.consumer_ack_wait_seconds,
            gather_seconds=subscription.gather_seconds,
        )

    def refuse(self, reason: str) -> ConfigError:
        """One line an operator can act on, on stderr and in the log, then no start."""
        print(f"amparo {self.service}: refusing to start: {reason}", file=sys.stderr, flush=True)
        log.error("service.refused", reason=reason)
        return ConfigError(reason)

    async def start(self) -> None:
        s = self.settings
        dsn = s.dsn(self.service)
        try:
            if s.pii_keys or s.pii_key_file:
                self.cipher = load_cipher(s.pii_keys, s.pii_key_file)
            elif self.spec.needs_pii_key:
                raise KeyFileError(f"the {self.service} service needs AMPARO_PII_KEYS or AMPARO_PII_KEY_FILE")
        except KeyFileError as exc:
            raise self.refuse(str(exc)) from None
        if self.spec.bearer_auth:
            from shared.auth import verification_key

            verification_key(s)  # no key, no start: refuse at once, not on every request
        await db.migrate(dsn, self.spec.migrations)
        self.pool = await db.create_pool(
            dsn, min_size=s.db_pool_min, max_size=s.db_pool_max, command_timeout=s.db_command_timeout
        )
        await self._check_keys()
        await self._start_broker(dsn)
        for job in self.spec.jobs:
            self._spawn(self._periodic(job), f"job-{job.name}")
        # What the process keeps for good (modules, routes, the ISO 3166 lists) leaves the
        # garbage collector's sight: its full collections scanned all of it, pausing
        # whichever request was running (README, Benchmark).
        places.is_region("GT-16")  # loads the lists now, not during a request
        gc.collect()
        gc.freeze()
        log.info("service.started", consumers=[c.durable for c in self.consumers])

    async def _start_broker(self, dsn: str) -> None:
        s = self.settings
        self.nc = await broker.connect(
            s.nats_url,
            name=f"amparo-{self.service}",
            exit_on_close=lambda: not self._stopping,
            on_reconnect=self._reconnected,
            **broker.credentials(s),
        )
        self.js = self.nc.jetstream()
        # Only its own stream: the others belong to their producers (and the operator's
        # `amparo run`/`amparo migrate`), and the service's NATS user may not change them.
        await broker.ensure_streams(self.js, replicas=s.stream_replicas, only=broker.streams_of(self.service))
        self.relay = OutboxRelay(
            self.pool,
            self.js,
            poll_seconds=s.outbox_poll_seconds,
            retention_days=s.outbox_retention_days,
        )
        self.consumers = [self.new_consumer(sub) for sub in self.spec.subscriptions]
        for consumer in self.consumers:
            try:
                await consumer.setup()
            except NotFoundError:  # its stream is not there (yet): it binds once it is
                consumer.missing = True
        self._spawn(self.relay.run(), "outbox-relay")
        for consumer in self.consumers:
            self._spawn(consumer.run(), f"consumer-{consumer.durable}")
        self._spawn(self._keep_streams(), "streams")

    def _reconnected(self) -> None:
        """NATS is back (restarted, or the link was cut): every consumer looks at its
        durable and binds again at once, and the streams are checked."""
        for consumer in self.consumers:
            consumer.check_soon(rebind=True)
        self._streams_due.set()

    async def _keep_streams(self) -> None:
        """Its own stream exists (an operator may delete it; a NATS store may be lost):
        checked on a timer and after every reconnect, created again when missing, so the
        relay's backlog flows out and the consumers downstream re-create themselves."""
        own = broker.streams_of(self.service)
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._streams_due.wait(), timeout=self.STREAMS_CHECK_SECONDS)
            self._streams_due.clear()
            try:
                await broker.restore_streams(self.js, replicas=self.settings.stream_replicas, only=own)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # NATS is away: the next turn tries again
                log.warning("broker.streams_not_checked", error=type(exc).__name__)

    async def _check_keys(self) -> None:
        """Ciphertext under a key id the key file lacks (or that the key does not open)
        stops the service here, not as a 500 on the first read."""
        where = self.settings.pii_key_file or "AMPARO_PII_KEYS"
        async with self.pool.acquire() as conn:
            try:
                await verify_keys(conn, self.cipher, registry(self.service), where=where)
            except KeyRefusal as exc:
                raise self.refuse(str(exc)) from None

    def _spawn(self, coro, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._task_done)
        self._tasks.append(task)

    @staticmethod
    def _task_done(task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("service.task_died", task=task.get_name(), error=type(task.exception()).__name__)

    async def _periodic(self, job: Job) -> None:
        while True:
            try:
                await job.run(self)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("job.failed", job=job.name, error=type(exc).__name__)
            await asyncio.sleep(job.every_seconds)

    async def stop(self) -> None:
        self._stopping = True
        pending = set(self._tasks)
        for _attempt in range(3):
            for task in pending:
                task.cancel()
            if not pending:
                break
            _done, pending = await asyncio.wait(pending, timeout=2)
        for task in pending:
            log.error("service.task_did_not_stop", task=task.get_name())
        self._tasks.clear()
        if self.nc is not None:
            # Not drain(): a cancelled pull fetch leaves its queue unfinished and drain waits
            # for it until its timeout. Nothing is in flight by now (the relay and consumers
            # are stopped; an unacked publish stays pending in the outbox and is sent again).
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.nc.close(), timeout=5)
        if self.pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.pool.close(), timeout=5)

    async def readiness(self) -> dict[str, str]:
        """Each dependency by name (``database``, ``broker``, ``consumer:<durable>``):
        "ok", or what is wrong with it."""
        checks: dict[str, str] = {}
        try:
            async with asyncio.timeout(2):
                await self.pool.fetchval("SELECT 1")
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable ({type(exc).__name__})"
        checks["broker"] = "ok" if self.nc is not None and self.nc.is_connected else "unreachable"
        now = time.monotonic()
        for consumer in self.consumers:
            stalled = now - consumer.last_fetch_ok > max(30.0, 3 * consumer._fetch_timeout)
            state = "missing" if consumer.missing else "stalled" if stalled else "ok"
            checks[f"consumer:{consumer.durable}"] = state
        return checks

    @contextlib.asynccontextmanager
    async def lifespan(self, _app: Litestar) -> AsyncIterator[None]:
        try:
            await self.start()
        except BaseException:
            await self.stop()  # a half-started service must not leave its pool or NATS open
            raise
        try:
            yield
        finally:
            await self.stop()
