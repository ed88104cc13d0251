"""A service-layer runtime for the funds tests that do not need HTTP."""

from __future__ import annotations

import types

import pytest

from services.funds.config import FundsConfig
from shared.auth import Principal
from shared.crypto import PiiCipher
from tests.conftest import PII_KEYS


def principal(sub: str, *roles: str, countries=("GT", "HN", "MX")) -> Principal:
    return Principal(sub=sub, roles=frozenset(roles), countries=frozenset(countries))


def runtime(pool, **config) -> types.SimpleNamespace:
    return types.SimpleNamespace(
        pool=pool, config=FundsConfig(**config), cipher=PiiCipher.from_spec(PII_KEYS)
    )


@pytest.fixture
async def rt(service_db):
    return runtime(await service_db("funds"))
