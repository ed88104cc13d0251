"""The console under the benchmark's data: capacity and board pages' p95 (sequential
requests on localhost, so client time ~ server time) and the bytes a first visit to the
capacity page transfers (HTML, CSS and htmx, gzip as a browser asks for it)."""

from __future__ import annotations

import asyncio
import re
import statistics
import time

import httpx

from deploy.stack import Stack
from shared.config import with_database

EMAIL = "bench-staff@example.org"
PASSWORD = "bench-password-long-enough"


async def _account(stack: Stack) -> None:
    from services.console.accounts import service
    from shared import db

    dsn = with_database(stack.state()["database_url"], "amparo_console")
    pool = await db.create_pool(dsn, min_size=1, max_size=2)
    try:
        account, _ = await service.create_account(
            pool, email=EMAIL, name="Bench", roles=["network_staff"],
            countries=list(service.COUNTRIES), password=PASSWORD,
        )  # fmt: skip
        await pool.execute("UPDATE accounts SET must_change_password = false WHERE id = $1::uuid", account.id)
    finally:
        await pool.close()


def _signed_in(base: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=30, headers={"Accept-Encoding": "gzip"})
    html = client.get("/sign-in").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    response = client.post("/sign-in", data={"csrf": csrf, "email": EMAIL, "password": PASSWORD})
    assert response.status_code == 303, response.text
    client.get("/sign-in/next")
    return client


def _p95(client: httpx.Client, path: str, n: int) -> float:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return round(statistics.quantiles(times, n=20)[18], 1)


def first_visit_bytes(client: httpx.Client) -> int:
    """Compressed bytes of the capacity page and every asset it links to."""
    page = client.get("/capacity")
    total = page.num_bytes_downloaded
    for asset in set(re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text)):
        total += client.get(asset.replace("&amp;", "&")).num_bytes_downloaded
    return total


def measure(stack: Stack, *, requests: int = 100) -> dict:
    asyncio.run(_account(stack))
    client = _signed_in(stack.url("console"))
    try:
        for path in ("/capacity", "/board"):
            client.get(path)  # warm up
        return {
            "console_capacity_p95_ms": _p95(client, "/capacity", requests),
            "console_board_p95_ms": _p95(client, "/board", requests),
            "console_first_visit_kb": round(first_visit_bytes(client) / 1024, 1),
        }
    finally:
        client.close()
