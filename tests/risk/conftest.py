"""Fixtures of the risk tests: the service's settings (a fresh database) and the service
in-process with its real pool, NATS, relay and consumers."""

from __future__ import annotations

import pytest

from tests.support import service_client


@pytest.fixture
async def settings(make_settings):
    return await make_settings("risk")


@pytest.fixture
async def client(settings):
    async with service_client("risk", settings) as c:
        yield c
