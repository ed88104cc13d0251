"""Helpers shared by the test modules: polling with a deadline, tokens, service clients."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

from litestar.testing import AsyncTestClient

from shared.auth import issue_token
from shared.config import Settings

T = TypeVar("T")
JWT_SECRET = "test-secret-that-is-long-enough-for-hs256-0123456789"


async def eventually(
    probe: Callable[[], Awaitable[T]], *, timeout: float = 15.0, interval: float = 0.05
) -> T:
    """Poll ``probe`` until it returns a truthy value or raises nothing; fail at the deadline."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        try:
            value = await probe()
            if value:
                return value
            last = value
        except AssertionError as exc:
            last = exc
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s; last: {last!r}")
        await asyncio.sleep(interval)


def token(
    *roles: str,
    countries: tuple[str, ...] = ("GT", "MX", "SV", "HN", "NI", "CR"),
    sub: str = "tester",
    ttl: int = 3600,
) -> str:
    return issue_token(JWT_SECRET, sub=sub, roles=list(roles), countries=list(countries), ttl_seconds=ttl)


def auth(
    *roles: str, countries: tuple[str, ...] = ("GT", "MX", "SV", "HN", "NI", "CR"), sub: str = "tester"
) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(*roles, countries=countries, sub=sub)}"}


@contextlib.asynccontextmanager
async def service_client(service: str, settings: Settings) -> AsyncIterator[AsyncTestClient]:
    """Run a service in-process with its real pool, NATS, relay and consumers."""
    import importlib

    module = importlib.import_module(f"services.{service}.app")
    app = module.create_app(settings)
    async with AsyncTestClient(app=app, timeout=30) as client:
        yield client
