"""Helpers shared by the test modules: polling with a deadline, tokens, service clients."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from litestar.testing import AsyncTestClient

from shared.auth import issue_token, new_signing_key
from shared.config import Settings

T = TypeVar("T")
_ROOT = Path(__file__).resolve().parents[1]
# One key pair per test session: tests sign like the console, services verify the public half.
JWT_PRIVATE_KEY, JWT_PUBLIC_KEY = new_signing_key()


@contextlib.asynccontextmanager
async def running(worker: Any) -> AsyncIterator[asyncio.Task]:
    """A consumer or a relay (anything with ``run()``) at work for the block, then cancelled."""
    task = asyncio.create_task(worker.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task


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
    return issue_token(
        JWT_PRIVATE_KEY, sub=sub, roles=list(roles), countries=list(countries), ttl_seconds=ttl
    )


def auth(
    *roles: str, countries: tuple[str, ...] = ("GT", "MX", "SV", "HN", "NI", "CR"), sub: str = "tester"
) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(*roles, countries=countries, sub=sub)}"}


@contextlib.asynccontextmanager
async def service_client(
    service: str, settings: Settings, config: Any = None
) -> AsyncIterator[AsyncTestClient]:
    """Run a service in-process with its real pool, NATS, relay and consumers."""
    import importlib

    module = importlib.import_module(f"services.{service}.app")
    app = module.create_app(settings, config)
    async with AsyncTestClient(app=app, timeout=30) as client:
        yield client


async def known_case(target, service: str, case_id, country: str = "GT", status: str = "open") -> None:
    """Tell a service's case projection (shelters, funds) of a case, as risk's CaseOpened
    would. ``target``: a test client, the service's Settings, or a pool/connection."""
    import uuid

    from shared import db

    sql = """INSERT INTO cases (id, country, status, learned_from) VALUES ($1, $2, $3, 'test')
             ON CONFLICT (id) DO UPDATE SET country = EXCLUDED.country, status = EXCLUDED.status"""
    args = (uuid.UUID(str(case_id)), country, status)
    if hasattr(target, "execute"):
        await target.execute(sql, *args)
        return
    settings = target.app.state.runtime.settings if hasattr(target, "app") else target
    conn = await db.connect(settings.dsn(service))
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


class ServedProcess:
    """A service run as a real process (`amparo serve`), with what it wrote to stderr."""

    def __init__(self, http, stderr) -> None:
        self.http = http
        self._stderr = stderr
        self.logs = ""


@contextlib.asynccontextmanager
async def served_process(
    service: str, settings: Settings, *, log_level: str = "debug"
) -> AsyncIterator[ServedProcess]:
    """`amparo serve <service>` on a free port against the test's database; after the
    block, ``.logs`` holds everything the process wrote to stderr."""
    import os
    import sys
    import tempfile

    import httpx

    from deploy.embedded import free_port

    port = free_port()
    env = {
        **os.environ,
        "AMPARO_DATABASE_URL": settings.database_url,
        "AMPARO_DATABASE_NAME": settings.database_name,
        "AMPARO_NATS_URL": settings.nats_url,
        "AMPARO_JWT_PUBLIC_KEY": settings.jwt_public_key,
        "AMPARO_PII_KEYS": settings.pii_keys,
        "AMPARO_LOG_LEVEL": log_level,
    }
    with tempfile.TemporaryFile() as stderr:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "deploy.cli", "serve", service, "--port", str(port),
            cwd=_ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
        )  # fmt: skip
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as http:

                async def up() -> bool:
                    try:
                        return (await http.get("/ready")).status_code == 200
                    except httpx.TransportError:
                        return False

                await eventually(up, timeout=30, interval=0.2)
                served = ServedProcess(http, stderr)
                yield served
        finally:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), timeout=15)
        stderr.seek(0)
        served.logs = stderr.read().decode()
