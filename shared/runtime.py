"""What every service process runs: the pool, NATS, the outbox relay, its consumers and
periodic jobs, and the Litestar app around its routes. A service describes itself with
a ``ServiceSpec``; ``build_app`` wires the rest, the same way for all three.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Litestar, Request, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from shared import broker, db
from shared.auth import JWTAuthMiddleware, Principal
from shared.config import Settings, load_settings
from shared.consumer import Consumer
from shared.crypto import PiiCipher, load_cipher
from shared.logging import bind_contextvars, clear_contextvars, configure_logging, get_logger
from shared.outbox import OutboxRelay
from shared.problems import EXCEPTION_HANDLERS, Problem

log = get_logger(__name__)

Job = Callable[["Runtime"], Awaitable[None]]


@dataclass
class ServiceSpec:
    name: str
    route_handlers: Sequence[Any]
    migrations: Path
    description: str = ""
    # Consumers this service runs, built once the runtime is connected.
    consumers: Callable[[Runtime], list[Consumer]] = lambda _rt: []
    # Periodic jobs: (every_seconds, job). A failing run is logged and tried again.
    jobs: list[tuple[float, Job]] = field(default_factory=list)


class Runtime:
    def __init__(self, spec: ServiceSpec, settings: Settings) -> None:
        self.spec = spec
        self.service = spec.name
        self.settings = settings
        self.pool: asyncpg.Pool = None  # type: ignore[assignment]
        self.nc = None
        self.js = None
        self.cipher: PiiCipher | None = None
        self.relay: OutboxRelay | None = None
        self.consumers: list[Consumer] = []
        self._tasks: list[asyncio.Task] = []
        self._stopping = False

    def new_consumer(self, *, stream: str, durable: str, handlers: dict) -> Consumer:
        """A consumer with this service's settings (ack wait, tries, back-off)."""
        return Consumer(
            pool=self.pool,
            js=self.js,
            stream=stream,
            durable=durable,
            handlers=handlers,
            max_deliver=self.settings.consumer_max_deliver,
            ack_wait=self.settings.consumer_ack_wait_seconds,
        )

    async def start(self) -> None:
        s = self.settings
        dsn = s.dsn(self.service)
        if s.pii_keys or s.pii_key_file:
            self.cipher = load_cipher(s.pii_keys, s.pii_key_file)
        await db.migrate(dsn, self.spec.migrations)
        self.pool = await db.create_pool(
            dsn, min_size=s.db_pool_min, max_size=s.db_pool_max, command_timeout=s.db_command_timeout
        )
        self.nc = await broker.connect(
            s.nats_url, name=f"amparo-{self.service}", exit_on_close=lambda: not self._stopping
        )
        self.js = self.nc.jetstream()
        await broker.ensure_streams(self.js, replicas=s.stream_replicas)
        self.relay = OutboxRelay(self.pool, self.js, listen_dsn=dsn, poll_seconds=s.outbox_poll_seconds)
        self.consumers = self.spec.consumers(self)
        for consumer in self.consumers:
            await consumer.setup()
        self._spawn(self.relay.run(), "outbox-relay")
        for consumer in self.consumers:
            self._spawn(consumer.run(), f"consumer-{consumer.durable}")
        for every, job in self.spec.jobs:
            self._spawn(self._periodic(every, job), f"job-{job.__name__}")
        log.info("service.started", consumers=[c.durable for c in self.consumers])

    def _spawn(self, coro, name: str) -> None:
        task = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._task_done)
        self._tasks.append(task)

    @staticmethod
    def _task_done(task: asyncio.Task) -> None:
        if not task.cancelled() and task.exception() is not None:
            log.error("service.task_died", task=task.get_name(), error=type(task.exception()).__name__)

    async def _periodic(self, every: float, job: Job) -> None:
        while True:
            try:
                await job(self)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("job.failed", job=job.__name__, error=type(exc).__name__)
            await asyncio.sleep(every)

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
        checks: dict[str, str] = {}
        try:
            async with asyncio.timeout(2):
                await self.pool.fetchval("SELECT 1")
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable ({type(exc).__name__})"
        checks["nats"] = "ok" if self.nc is not None and self.nc.is_connected else "unreachable"
        now = time.monotonic()
        for consumer in self.consumers:
            stalled = now - consumer.last_fetch_ok > max(30.0, 3 * consumer._fetch_timeout)
            checks[f"consumer:{consumer.durable}"] = "stalled" if stalled else "ok"
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


# Route parameters: ``rt: Rt`` and ``principal: Caller`` (named dependencies, as Litestar 3
# will require; the plain ``Runtime``/``Principal`` annotations are inferred and deprecated).
Rt = NamedDependency[Runtime]
Caller = NamedDependency[Principal]


class ServiceUnavailable(Problem):
    status = HTTP_503_SERVICE_UNAVAILABLE


@get("/health", operation_id="health", tags=["operations"], sync_to_thread=False)
def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/ready", operation_id="ready", tags=["operations"])
async def ready(request: Request) -> dict[str, Any]:
    """The database and NATS are reachable and the consumers are fetching."""
    checks = await request.app.state.runtime.readiness()
    if any(v != "ok" for v in checks.values()):
        raise ServiceUnavailable(
            "not ready: " + ", ".join(f"{k} {v}" for k, v in checks.items() if v != "ok")
        )
    return {"status": "ready", "checks": checks}


class RequestContextMiddleware:
    """Binds request_id, correlation_id (and later case_id) and writes one access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        clear_contextvars()
        headers = dict(scope.get("headers") or ())
        request_id = _valid_uuid(headers.get(b"x-request-id")) or str(uuid.uuid4())
        # A request that starts a chain of events is its own correlation: one uuid4, not two.
        correlation_id = _valid_uuid(headers.get(b"x-correlation-id")) or request_id
        bind_contextvars(request_id=request_id, correlation_id=correlation_id)
        status = 500
        started = time.perf_counter()

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            log.info(
                "http.request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 2),
            )


def _valid_uuid(raw: bytes | None) -> str | None:
    if not raw:
        return None
    try:
        return str(uuid.UUID(raw.decode()))
    except ValueError:
        return None


async def _bind_case_id(request: Request) -> None:
    # async: a sync hook would be sent to a worker thread on every request.
    case_id = request.path_params.get("case_id")
    if case_id is not None:
        bind_contextvars(case_id=str(case_id))


def _runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def _principal(request: Request) -> Principal:
    return request.user


def build_app(spec: ServiceSpec, settings: Settings | None = None) -> Litestar:
    settings = settings or load_settings()
    configure_logging(spec.name, level=settings.log_level, json=settings.log_json)
    runtime = Runtime(spec, settings)
    return Litestar(
        route_handlers=[health, ready, *spec.route_handlers],
        middleware=[
            RequestContextMiddleware,
            DefineMiddleware(JWTAuthMiddleware, exclude=["^/health$", "^/ready$", "^/schema"]),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=_bind_case_id,
        dependencies={
            "rt": Provide(_runtime, sync_to_thread=False),
            "principal": Provide(_principal, sync_to_thread=False),
        },
        openapi_config=OpenAPIConfig(
            title=f"Amparo {spec.name}",
            version="0.1.0",
            description=spec.description,
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        lifespan=[runtime.lifespan],
        state=State({"runtime": runtime}),
        debug=False,
    )
