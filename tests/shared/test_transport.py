"""Hostile transport against the real served process (`amparo serve`), over raw sockets:
header floods are refused, half-sent requests are dropped after a few seconds, and 200 of
them held open do not keep anyone else waiting."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from shared.http import BODY_SECONDS
from shared.transport import HEADER_SECONDS
from tests.support import auth, served_process

pytestmark = pytest.mark.timeout(180)
ADMIN = auth("admin")["Authorization"]


@pytest.fixture
async def served(make_settings):
    settings = await make_settings("risk")
    async with served_process("risk", settings, log_level="warning") as served:
        served.port = served.http.base_url.port
        yield served


async def exchange(port: int, raw: bytes, *, wait: float = 10.0) -> tuple[bytes, float]:
    """Send ``raw``, read until the server answers and closes (or ``wait`` passes)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    try:
        writer.write(raw)
        await writer.drain()
    except ConnectionError:
        pass
    received = b""
    try:
        async with asyncio.timeout(wait):
            while chunk := await reader.read(65536):
                received += chunk
    except (TimeoutError, ConnectionError):
        pass
    finally:
        writer.close()
    return received, time.monotonic() - started


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1]) if response.startswith(b"HTTP/1.1 ") else 0


async def test_ten_thousand_headers_are_refused(served):
    flood = b"".join(b"X-Flood-%d: v\r\n" % i for i in range(10_000))
    response, _ = await exchange(served.port, b"GET /health HTTP/1.1\r\nHost: x\r\n" + flood + b"\r\n")
    assert status_of(response) in (400, 431), response[:200]


async def test_a_one_megabyte_header_is_refused(served):
    big = b"X-Big: " + b"a" * (1 << 20) + b"\r\n"
    response, _ = await exchange(served.port, b"GET /health HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n")
    assert status_of(response) in (400, 431), response[:200]


async def test_a_request_whose_headers_never_finish_is_dropped(served):
    response, took = await exchange(
        served.port, b"GET /health HTTP/1.1\r\nHost: x\r\n", wait=HEADER_SECONDS + 10
    )
    assert took < HEADER_SECONDS + 5, f"held for {took:.1f}s"
    assert status_of(response) in (0, 408), response[:200]


async def test_a_body_that_never_finishes_is_a_408_and_dropped(served):
    head = (
        b"POST /cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Authorization: " + ADMIN.encode() + b'\r\nContent-Length: 1000\r\n\r\n{"country": '
    )
    response, took = await exchange(served.port, head, wait=BODY_SECONDS + 10)
    assert took < BODY_SECONDS + 5, f"held for {took:.1f}s"
    assert status_of(response) in (0, 408), response[:300]


async def test_two_hundred_half_sent_requests_do_not_starve_the_server(served):
    held: list[asyncio.StreamWriter] = []
    readers: list[asyncio.StreamReader] = []
    for i in range(200):
        reader, writer = await asyncio.open_connection("127.0.0.1", served.port)
        half = b"GET /health HTTP/1.1\r\nHost: x\r\n" if i % 2 else (
            b"POST /cases HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: " + ADMIN.encode() + b"\r\nContent-Length: 500\r\n\r\n{"
        )  # fmt: skip
        writer.write(half)
        held.append(writer)
        readers.append(reader)
    await asyncio.gather(*(w.drain() for w in held))
    try:
        started = time.monotonic()
        health = await served.http.get("/health")
        cases = await served.http.get("/cases", headers={"Authorization": ADMIN})
        assert health.status_code == 200 and cases.status_code == 200
        assert time.monotonic() - started < 2.0

        # Every one of them is closed by the server within the limits.
        async def closed(reader: asyncio.StreamReader) -> bool:
            try:
                async with asyncio.timeout(max(HEADER_SECONDS, BODY_SECONDS) + 10):
                    while await reader.read(65536):
                        pass
                return True
            except ConnectionError:
                return True
            except TimeoutError:
                return False

        results = await asyncio.gather(*(closed(r) for r in readers))
        assert all(results), f"{results.count(False)} of 200 still open"
    finally:
        for writer in held:
            writer.close()


async def test_a_normal_request_still_works_and_keeps_alive(served):
    body = json.dumps({"status": "x"}).encode()
    raw = (
        b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /cases HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nAuthorization: "
        + ADMIN.encode()
        + b"\r\nConnection: close\r\nContent-Length: %d\r\n\r\n" % len(body)
        + body
    )
    response, _ = await exchange(served.port, raw)
    assert response.count(b"HTTP/1.1 ") == 2, response
    assert b"HTTP/1.1 200" in response and b"HTTP/1.1 415" in response
