"""Real servers for the tests: one PostgreSQL and one nats-server per test session
(from the wheels, or AMPARO_TEST_DATABASE_URL / AMPARO_TEST_NATS_URL), a fresh
database per test cloned from a migrated template, and empty streams per test."""

from __future__ import annotations

import asyncio
import importlib
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import asyncpg
import pytest

from deploy.embedded import free_port, start_nats, start_postgres
from shared import broker, db
from shared.config import Settings, load_settings, with_database
from shared.crypto import new_key_spec
from tests.support import JWT_PUBLIC_KEY

PII_KEYS = new_key_spec("test1")
# Risk's blind index key (name search) is read from its own config, AMPARO_BLIND_INDEX_KEY;
# the runner drops it from what it passes on and gives risk its key file instead.
BLIND_INDEX_KEY = os.environ.setdefault("AMPARO_BLIND_INDEX_KEY", new_key_spec("index-test"))


@pytest.fixture(scope="session")
def pg_url():
    url = os.environ.get("AMPARO_TEST_DATABASE_URL")
    if url:
        yield url
        return
    workdir = Path(tempfile.mkdtemp(prefix="amparo-pg-"))
    pg = start_postgres(workdir / "data", durable=False)
    try:
        yield pg.url
    finally:
        pg.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def nats_server():
    url = os.environ.get("AMPARO_TEST_NATS_URL")
    if url:
        yield url, None
        return
    workdir = Path(tempfile.mkdtemp(prefix="amparo-nats-"))
    server = start_nats(workdir, port=free_port(), sync_always=True, log_file=workdir / "nats.log")
    try:
        yield server.url, server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def nats_url(nats_server) -> str:
    return nats_server[0]


_templates: dict[str, str] = {}


async def _template_for(pg_url: str, service: str) -> str:
    """A migrated template database per service, made once per session."""
    if service not in _templates:
        name = f"tmpl_{service}_{uuid.uuid4().hex[:8]}"
        await db.ensure_database(pg_url, name)
        migrations = Path(importlib.import_module(f"services.{service}").__file__).parent / "migrations"
        await db.migrate(with_database(pg_url, name), migrations)
        conn = await asyncpg.connect(pg_url)
        try:
            await conn.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        finally:
            await conn.close()
        _templates[service] = name
    return _templates[service]


async def fresh_database(pg_url: str, service: str) -> str:
    template = await _template_for(pg_url, service)
    name = f"t_{service}_{uuid.uuid4().hex[:12]}"
    await db.ensure_database(pg_url, name, template=template)
    return name


@pytest.fixture
async def clean_streams(nats_url):
    """Every test starts with empty streams and no consumers."""
    nc = await broker.connect(nats_url, name="test-setup")
    js = nc.jetstream()
    await broker.reset_streams(js)
    yield js
    await nc.close()


@pytest.fixture
def make_settings(pg_url, nats_url, clean_streams):
    """Settings for one service with its own fresh database in this test."""
    created: dict[str, Settings] = {}

    async def make(service: str, **overrides) -> Settings:
        if service not in created or overrides:
            name = await fresh_database(pg_url, service)
            defaults = {
                "database_url": pg_url,
                "database_name": name,
                "nats_url": nats_url,
                "jwt_public_key": JWT_PUBLIC_KEY,
                "pii_keys": PII_KEYS,
                "log_level": "warning",
                "outbox_poll_seconds": 0.2,
                "consumer_ack_wait_seconds": 2.0,
                "consumer_max_deliver": 3,
            }
            created[service] = load_settings({}, **{**defaults, **overrides})
        return created[service]

    return make


@pytest.fixture
async def service_db(pg_url):
    """A fresh database of a service, as a pool (for store-level tests)."""
    pools: list[asyncpg.Pool] = []

    async def make(service: str) -> asyncpg.Pool:
        name = await fresh_database(pg_url, service)
        pool = await db.create_pool(with_database(pg_url, name), min_size=1, max_size=20)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        await asyncio.wait_for(pool.close(), timeout=10)
