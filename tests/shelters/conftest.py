"""Fixtures of the shelters tests: the service in-process, or its database alone."""

from __future__ import annotations

import pytest

from tests.support import service_client


@pytest.fixture
async def client(make_settings):
    """The shelters app with its real pool, NATS, relay, consumer and jobs."""
    settings = await make_settings("shelters")
    async with service_client("shelters", settings) as c:
        yield c


@pytest.fixture
async def pool(service_db):
    """A fresh shelters database, for calling use cases and the store directly."""
    return await service_db("shelters")
