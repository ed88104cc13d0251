"""The HTTP mechanism every service shares: request context and access log, the
operations routes (/health, /ready) and the named dependencies routes ask for."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import TYPE_CHECKING, Any

from litestar import Request, get
from litestar.di import NamedDependency

from shared.auth import Principal
from shared.bodies import decode_body
from shared.errors import Unavailable
from shared.logging import bind_contextvars, clear_contextvars, get_logger
from shared.problems import RequestTimeout
from shared.runtime import Runtime

if TYPE_CHECKING:
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = get_logger(__name__)

# Route parameters: ``rt: Rt`` and ``principal: Caller`` (named dependencies, as Litestar 3
# will require; the plain ``Runtime``/``Principal`` annotations are inferred and deprecated).
Rt = NamedDependency[Runtime]
Caller = NamedDependency[Principal]


def provide_runtime(request: Request) -> Runtime:
    return request.app.state.runtime


def provide_principal(request: Request) -> Principal:
    return request.user


@get("/health", operation_id="health", tags=["operations"], sync_to_thread=False)
def health() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@get("/ready", operation_id="ready", tags=["operations"])
async def ready(request: Request) -> dict[str, Any]:
    """The database and NATS are reachable and the consumers are fetching."""
    checks = await request.app.state.runtime.readiness()
    if any(v != "ok" for v in checks.values()):
        raise Unavailable(
            "not ready: " + ", ".join(f"{k} {v}" for k, v in checks.items() if v != "ok"),
            code="not_ready",
        )
    return {"status": "ready", "checks": checks}


OPERATIONS_ROUTES = [health, ready]


# A body must be complete this long after its request started: the server bounds the
# headers (deploy/cli.py), this bounds a body sent a byte at a time (slowloris).
BODY_SECONDS = 10.0
_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _receive_within(receive: Receive, seconds: float) -> Receive:
    deadline = asyncio.get_running_loop().time() + seconds

    async def receive_in_time() -> Message:
        try:
            async with asyncio.timeout_at(deadline):
                return await receive()
        except TimeoutError:
            raise RequestTimeout(
                f"the body did not arrive within {seconds:g} seconds",
                extra={"code": "request.timeout"},
                headers={"Connection": "close"},
            ) from None

    return receive_in_time


class RequestContextMiddleware:
    """Binds request_id, correlation_id (and later case_id), bounds the time a body may
    take to arrive, and writes one access line."""

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

        if scope["method"] in _WITH_BODY:
            receive = _receive_within(receive, BODY_SECONDS)
        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            log.info(
                "http.request",
                method=scope["method"],
                path=scope["path"],
                status=status,
                ms=round((time.perf_counter() - started) * 1000, 2),
                # Who made the request (the token's subject, set by the auth middleware).
                actor=getattr(scope.get("user"), "sub", None),
            )


def _valid_uuid(raw: bytes | None) -> str | None:
    if not raw:
        return None
    try:
        return str(uuid.UUID(raw.decode()))
    except ValueError:
        return None


async def before_request(request: Request) -> None:
    """Every route's hook: the case in the log context, then the body, strictly decoded.

    async: a sync hook would be sent to a worker thread on every request."""
    case_id = request.path_params.get("case_id")
    if case_id is not None:
        bind_contextvars(case_id=str(case_id))
    await decode_body(request)
