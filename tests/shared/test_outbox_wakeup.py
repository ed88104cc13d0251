"""The relay is woken for every committed row without its poll, although writers skip
their NOTIFY while a relay is at work (a NOTIFY serializes commits; shared migration
0006). Real PostgreSQL, real JetStream, the real relay."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.config import with_database
from shared.events import CaseClosed, new_event
from shared.outbox import CHANNEL, OutboxRelay, enqueue
from tests.support import eventually


@pytest.fixture
async def pool(service_db):
    return await service_db("risk")


async def dsn_of(pool, pg_url: str) -> str:
    return with_database(pg_url, await pool.fetchval("SELECT current_database()"))


def closed():
    return new_event(CaseClosed(reason="risk_resolved"), producer="risk", case_id=uuid.uuid4())


async def write_one(pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, closed())


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    waves=st.lists(
        st.tuples(st.integers(min_value=1, max_value=10), st.integers(min_value=1, max_value=20)),
        min_size=2,
        max_size=4,
    ),
    batch=st.integers(min_value=1, max_value=16),
    work_from=st.integers(min_value=1, max_value=8),
)
async def test_every_row_is_published_without_the_poll(pool, pg_url, clean_streams, waves, batch, work_from):
    """Waves of concurrent writers, each wave published before the next one writes: a
    relay that went to rest while writers still skipped their NOTIFY would never see the
    next wave (its poll is an hour)."""
    js = clean_streams
    expected = await pool.fetchval("SELECT count(*) FROM outbox")
    relay = OutboxRelay(
        pool,
        js,
        listen_dsn=await dsn_of(pool, pg_url),
        batch_size=batch,
        poll_seconds=3600,
        work_from=work_from,
    )
    task = asyncio.create_task(relay.run())

    async def writer(each: int) -> None:
        for _ in range(each):
            await write_one(pool)

    try:
        for writers, each in waves:
            await asyncio.gather(*(writer(each) for _ in range(writers)))
            expected += writers * each
            await eventually(
                lambda n=expected: pool.fetchval(
                    "SELECT count(*) = $1 FROM outbox WHERE published_at IS NOT NULL", n
                ),
                timeout=30,
            )
    finally:
        task.cancel()
        with contextlib.suppress(BaseException):
            await task


async def notified_before_marker(pool, dsn: str) -> bool:
    """Commit one row, then NOTIFY a marker: notifications arrive in commit order, so the
    row's NOTIFY, if it was sent, arrives first."""
    listener = await asyncpg.connect(dsn)
    got: asyncio.Queue[str] = asyncio.Queue()
    await listener.add_listener(CHANNEL, lambda *args: got.put_nowait(args[3]))
    try:
        await write_one(pool)
        await pool.execute("SELECT pg_notify($1, 'marker')", CHANNEL)
        return await asyncio.wait_for(got.get(), timeout=30) != "marker"
    finally:
        await listener.close()


async def test_a_writer_notifies_only_while_no_relay_is_at_work(pool, pg_url):
    dsn = await dsn_of(pool, pg_url)
    assert await notified_before_marker(pool, dsn)
    at_work = await asyncpg.connect(dsn)  # stands for a relay at work
    try:
        await at_work.execute("SELECT pg_advisory_lock(7261002, 1)")
        assert not await notified_before_marker(pool, dsn)
        # A relay settling (it may not look again): the writer notifies.
        await at_work.execute("SELECT pg_advisory_lock(7261002, 2)")
        assert await notified_before_marker(pool, dsn)
    finally:
        await at_work.close()
    assert await notified_before_marker(pool, dsn)
