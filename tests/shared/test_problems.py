"""A dependency that is away is a 503 with Retry-After (as the document says), never a 500."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import nats.errors
import pytest
from litestar import get
from litestar.params import FromQuery
from litestar.testing import AsyncTestClient

from shared.auth import requires
from shared.bootstrap import ServiceSpec, build_app
from tests.support import auth

FAILURES = {
    "refused": ConnectionRefusedError(111, "Connection refused"),
    "timeout": TimeoutError(),
    "crowded": asyncpg.TooManyConnectionsError("sorry, too many clients already"),
    "gone": asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
    # 57P02: another backend crashed and PostgreSQL restarts (was a 500: issue 13).
    "crashed": asyncpg.CrashShutdownError(
        "terminating connection because of crash of another server process"
    ),
    "starting": asyncpg.CannotConnectNowError("the database system is starting up"),
    "stream": nats.errors.NoRespondersError(),
    # Concurrent work that failed as a group because the database went away.
    "group": ExceptionGroup("concurrent reads", [TimeoutError(), ConnectionResetError()]),
    "bug": KeyError("not a dependency"),
    "bug_in_group": ExceptionGroup("concurrent reads", [TimeoutError(), KeyError("a bug")]),
}


@get("/probe/fail", operation_id="probeFail", guards=[requires("admin")], sync_to_thread=False)
def fail(kind: FromQuery[str]) -> None:
    """Raises what a dependency that is away raises."""
    raise FAILURES[kind]


@pytest.fixture
async def client(make_settings):
    settings = await make_settings("risk")
    spec = ServiceSpec(
        name="risk", description="", routes=[fail], migrations=Path("services/risk/migrations")
    )
    async with AsyncTestClient(app=build_app(spec, settings)) as client:
        yield client


@pytest.mark.parametrize(
    "kind", ["refused", "timeout", "crowded", "gone", "crashed", "starting", "stream", "group"]
)
async def test_a_dependency_away_is_a_503_with_retry_after(client, kind):
    r = await client.get("/probe/fail", params={"kind": kind}, headers=auth("admin"))
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "unavailable"


@pytest.mark.parametrize("kind", ["bug", "bug_in_group"])
async def test_a_bug_is_still_a_500_that_says_nothing(client, kind):
    r = await client.get("/probe/fail", params={"kind": kind}, headers=auth("admin"))
    assert r.status_code == 500 and r.json()["detail"] == "internal error; it has been logged"
