"""Fixtures of the funds tests: the service over HTTP, or its use cases on a fresh database."""

from __future__ import annotations

import pytest

from tests.funds.helpers import runtime
from tests.support import service_client


@pytest.fixture
async def rt(service_db):
    """A runtime for calling use cases directly (no HTTP, no NATS)."""
    return runtime(await service_db("funds"))


@pytest.fixture
async def client(make_settings):
    """The funds service in-process, with its real database, NATS, relay and consumers."""
    settings = await make_settings("funds")
    async with service_client("funds", settings) as c:
        yield c
