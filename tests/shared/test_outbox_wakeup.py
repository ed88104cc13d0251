"""The relay is woken by its own process for every committed row, without its poll: the
pool wakes it when a connection that wrote events is handed back (shared.db.Pool), so
no NOTIFY serializes the writers' commits. Real PostgreSQL, real JetStream, the real
relay."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import asyncpg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared import db
from shared.config import with_database
from shared.events import CaseClosed, new_event
from shared.outbox import OutboxRelay, enqueue
from tests.support import eventually, running

HOUR = 3600.0  # a relay that polls once an hour: whatever it publishes sooner, it was woken for


class Refused(Exception):
    """The use case failed after writing its event: the transaction rolls back."""


def closed():
    return new_event(CaseClosed(reason="risk_resolved"), producer="risk", case_id=uuid.uuid4())


async def write_one(pool, *, refused: bool = False) -> None:
    with contextlib.suppress(Refused):
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, closed())
            if refused:
                raise Refused


async def published(pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL")


def examples(n: int) -> settings:
    """Examples against the real database and broker: slow, and the fixtures are shared."""
    return settings(
        max_examples=n,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@examples(8)
@given(
    waves=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=10),  # writers at once
            st.integers(min_value=1, max_value=20),  # rows each
            st.booleans(),  # one more writer whose transaction is refused
        ),
        min_size=2,
        max_size=4,
    ),
    batch=st.integers(min_value=1, max_value=16),
)
async def test_every_committed_row_is_published_without_the_poll(service_db, clean_streams, waves, batch):
    """Waves of concurrent writers, each wave published before the next one writes: a
    relay that went to rest while a writer's wake-up was lost would never see the next
    wave. A refused transaction wakes it too, and publishes nothing."""
    pool = await service_db("risk")
    js = clean_streams
    expected = 0
    in_stream = (await js.stream_info("RISK")).state.messages  # the stream outlives an example
    async with running(OutboxRelay(pool, js, batch_size=batch, poll_seconds=HOUR)):

        async def writer(each: int) -> None:
            for _ in range(each):
                await write_one(pool)

        for writers, each, refused in waves:
            await asyncio.gather(
                *(writer(each) for _ in range(writers)), *([write_one(pool, refused=True)] if refused else [])
            )
            expected += writers * each
            await eventually(lambda n=expected: _equal(published(pool), n), timeout=30)
    assert await pool.fetchval("SELECT count(*) FROM outbox") == expected
    assert (await js.stream_info("RISK")).state.messages - in_stream == expected


async def _equal(count, n: int) -> bool:
    return await count == n


async def test_a_transaction_that_failed_publishes_nothing_though_it_ends_quietly(service_db, clean_streams):
    """An error caught inside a transaction without a savepoint dooms it: PostgreSQL
    answers its COMMIT with ROLLBACK and no error. The events it wrote before are gone
    with it and must not be published from memory."""
    pool = await service_db("risk")
    js = clean_streams
    in_stream = (await js.stream_info("RISK")).state.messages
    relay = OutboxRelay(pool, js, poll_seconds=HOUR)
    async with running(relay):
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, closed())
            with contextlib.suppress(asyncpg.DataError):
                await conn.execute("SELECT 1 / 0")
        await write_one(pool)  # a later, sound write: published, as a marker
        await eventually(lambda: _equal(published(pool), 1), timeout=10)
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 1
    assert (await js.stream_info("RISK")).state.messages - in_stream == 1


async def test_the_poll_reads_the_table_while_hand_overs_keep_the_relay_busy(
    service_db, clean_streams, pg_url
):
    """A row no hand-over tells of (written by another process) is found at the poll even
    while this process's own writes wake the relay more often than it polls."""
    pool = await service_db("risk")
    js = clean_streams
    dsn = with_database(pg_url, await pool.fetchval("SELECT current_database()"))
    loop = asyncio.get_running_loop()
    async with running(OutboxRelay(pool, js, poll_seconds=0.5)):
        await write_one(pool)  # the relay has taken its first look at the table
        await eventually(lambda: _equal(published(pool), 1), timeout=10)
        outside = closed()
        other = await db.connect(dsn)
        try:
            async with other.transaction():
                await enqueue(other, outside)
        finally:
            await other.close()
        deadline = loop.time() + 5
        sent = "SELECT published_at IS NOT NULL FROM outbox WHERE id = $1"
        while not await pool.fetchval(sent, outside.id):
            assert loop.time() < deadline, "the table was not read while hand-overs kept the relay busy"
            await write_one(pool)  # wakes the relay well within its poll
            await asyncio.sleep(0.05)


async def test_a_row_written_outside_the_process_is_found_by_the_poll(service_db, clean_streams, pg_url):
    """A row the relay's own pool did not write (typed in by hand, or by a process that
    died before handing its connection back) waits for the poll, and no longer."""
    pool = await service_db("risk")
    js = clean_streams
    dsn = with_database(pg_url, await pool.fetchval("SELECT current_database()"))
    relay = OutboxRelay(pool, js, poll_seconds=0.5)
    async with running(relay):
        other = await db.connect(dsn)
        try:
            async with other.transaction():
                await enqueue(other, closed())
        finally:
            await other.close()
        await eventually(lambda: _equal(published(pool), 1), timeout=10)
        assert relay.published == 1


# One transaction: steps that write at its top level or in a savepoint that is released or
# rolled back, then the whole is committed or refused.
_step = st.one_of(
    st.tuples(st.just("top"), st.integers(min_value=1, max_value=3), st.just(True)),
    st.tuples(st.just("savepoint"), st.integers(min_value=1, max_value=3), st.booleans()),
)


@examples(15)
@given(
    transactions=st.lists(
        st.tuples(st.lists(_step, min_size=1, max_size=4), st.booleans()), min_size=1, max_size=5
    )
)
async def test_only_what_was_committed_is_published(service_db, clean_streams, transactions):
    """The relay publishes the events its pool hands over without reading them back, so
    the pool must hand over exactly what was committed: nothing from a rolled-back
    savepoint or a refused transaction, everything from a released savepoint whose
    transaction committed. The stream gets the table's rows and nothing else."""
    pool = await service_db("risk")
    js = clean_streams
    in_stream = (await js.stream_info("RISK")).state.messages
    in_table = await pool.fetchval("SELECT count(*) FROM outbox")
    committed = 0
    async with running(OutboxRelay(pool, js, poll_seconds=HOUR)):
        for steps, commits in transactions:
            kept = 0
            with contextlib.suppress(Refused):
                async with pool.acquire() as conn, conn.transaction():
                    for where, count, released in steps:
                        if where == "top":
                            await enqueue(conn, *(closed() for _ in range(count)))
                            kept += count
                            continue
                        with contextlib.suppress(Refused):
                            async with conn.transaction():
                                await enqueue(conn, *(closed() for _ in range(count)))
                                if not released:
                                    raise Refused
                            kept += count
                    if not commits:
                        raise Refused
            committed += kept if commits else 0
        total = in_table + committed
        await eventually(lambda: _equal(published(pool), total), timeout=30)
    assert await pool.fetchval("SELECT count(*) FROM outbox") == total
    assert (await js.stream_info("RISK")).state.messages - in_stream == committed
