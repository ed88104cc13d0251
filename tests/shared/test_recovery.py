"""The event path heals itself (issue 13): the relay is still woken after a database
restart, a deleted durable or stream is created again, and a pool waits for
a connection only so long (then the caller gets a 503, not a hang)."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from shared import broker, db
from shared.config import with_database
from shared.consumer import Consumer
from shared.events import CaseClosed, new_event
from shared.outbox import OutboxRelay, enqueue
from tests.conftest import fresh_database
from tests.shared.test_outbox_consumer import consumer
from tests.support import eventually, running


def closed():
    return new_event(CaseClosed(reason="risk_resolved"), producer="risk", case_id=uuid.uuid4())


@pytest.fixture
async def risk_dsn(pg_url):
    return with_database(pg_url, await fresh_database(pg_url, "risk"))


async def test_after_a_database_restart_the_relay_is_still_woken_not_polled(risk_dsn, clean_streams):
    """A restart closes every connection of the pool. Before, the relay's own LISTEN
    connection was opened once, and every hop waited for the poll until the service
    restarted (risk -> shelters median 6 ms -> 516 ms); the relay is now woken by the pool
    itself, which opens new connections on its own."""
    js = clean_streams
    pool = await db.create_pool(risk_dsn, min_size=2, max_size=4)
    # Polling only once a minute: whatever is published sooner was woken.
    relay = OutboxRelay(pool, js, poll_seconds=60)
    try:
        async with running(relay):
            # What a database restart does to the pool (without taking the test server down).
            admin = await asyncpg.connect(risk_dsn)
            try:
                await admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            finally:
                await admin.close()

            async def written() -> bool:
                try:
                    async with pool.acquire() as conn, conn.transaction():
                        await enqueue(conn, closed())
                    return True
                except db.AWAY:  # a connection the restart closed: the caller's 503, then a retry
                    return False

            await eventually(written, timeout=15)

            async def sent():
                return (await js.stream_info("RISK")).state.messages == 1

            await eventually(sent, timeout=30)  # well inside the 60 s poll
    finally:
        await pool.close()


def _consumer(pool, js, seen: list) -> Consumer:
    async def record(_ctx, event) -> None:
        seen.append(event.id)

    c = consumer(pool, js, handler=record, durable="test-recovery", fetch_timeout=0.2)
    c.CHECK_SECONDS = 0.2
    return c


async def _publish(js, event) -> None:
    from shared.events import encode_event

    await js.publish(event.subject, encode_event(event), headers={"Nats-Msg-Id": str(event.id)})


async def test_a_deleted_durable_is_created_again_and_consumes(service_db, clean_streams):
    js = clean_streams
    pool = await service_db("risk")
    seen: list = []
    c = _consumer(pool, js, seen)
    async with running(c):
        first = closed()
        await _publish(js, first)
        await eventually(lambda: _true(first.id in seen))
        await js.delete_consumer("RISK", "test-recovery")
        second = closed()
        await _publish(js, second)
        await eventually(lambda: _true(second.id in seen), timeout=30)
    assert (await js.consumer_info("RISK", "test-recovery")).name == "test-recovery"


async def test_a_deleted_stream_is_created_again_and_the_consumer_follows(service_db, clean_streams):
    js = clean_streams
    pool = await service_db("risk")
    seen: list = []
    c = _consumer(pool, js, seen)
    async with running(c):
        await js.delete_stream("RISK")
        await eventually(lambda: _true(c.missing), timeout=30)  # /ready says "consumer ... missing"
        assert await broker.restore_streams(js, only=["RISK"]) == ["RISK"]
        assert await broker.restore_streams(js, only=["RISK"]) == []  # only when missing
        event = closed()
        await _publish(js, event)
        await eventually(lambda: _true(event.id in seen), timeout=30)
    assert not c.missing


async def test_a_full_pool_answers_with_a_timeout_not_a_hang(risk_dsn):
    pool = await db.create_pool(risk_dsn, min_size=1, max_size=1, acquire_timeout=0.2)
    try:
        async with pool.acquire():
            with pytest.raises(TimeoutError) as raised:
                await pool.fetchval("SELECT 1")  # the one connection is taken
        assert db.is_away(raised.value)
        assert await pool.fetchval("SELECT 1") == 1
    finally:
        await pool.close()


def test_every_way_postgresql_goes_away_is_away():
    for exc in (
        asyncpg.CrashShutdownError("crash of another server process"),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.CannotConnectNowError("the database system is in recovery mode"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        # Handed out between a restart's "terminating connection" and the socket's close
        # (test_after_a_database_restart_the_relay_is_still_woken_not_polled met it).
        asyncpg.InternalClientError("cannot switch to state 15; another operation (2) is in progress"),
        ConnectionRefusedError(),
        FileNotFoundError(),  # the socket file is gone while the server restarts
    ):
        assert db.is_away(exc), exc
    assert not db.is_away(asyncpg.UniqueViolationError("duplicate key"))


async def _true(value):
    return value
