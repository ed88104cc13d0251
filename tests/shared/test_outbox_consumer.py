"""The event path end to end on real PostgreSQL and real JetStream: outbox, relay,
idempotent consumer, dead letters, through simulated crashes at the worst moments."""

from __future__ import annotations

import asyncio
import uuid

import nats
import pytest

from shared.consumer import Consumer
from shared.events import CaseClosed, decode_event, new_event
from shared.outbox import OutboxRelay, enqueue
from tests.support import eventually, running


class Crash(BaseException):
    """Stands for the process dying at this point (not an error the code may handle)."""


@pytest.fixture
async def pool(service_db):
    pool = await service_db("risk")
    await pool.execute("CREATE TABLE effects (event_id uuid NOT NULL, reason text NOT NULL)")
    return pool


def closed(reason: str = "risk_resolved"):
    return new_event(CaseClosed(reason=reason), producer="risk", case_id=uuid.uuid4())


async def record_effect(ctx, event) -> None:
    await ctx.conn.execute(
        "INSERT INTO effects (event_id, reason) VALUES ($1, $2)", event.id, event.data.reason
    )


async def crash(_rows) -> None:
    raise Crash


async def stream_messages(js, stream: str = "RISK") -> int:
    return (await js.stream_info(stream)).state.messages


def consumer(pool, js, *, handler=record_effect, **settings) -> Consumer:
    """A consumer of RISK quick to retry and to notice; ``settings`` override its own."""
    defaults = dict(durable="test-effects", max_deliver=3, ack_wait=1.0, backoff_base=0.05, fetch_timeout=0.3)
    return Consumer(pool=pool, js=js, stream="RISK", handlers={CaseClosed: handler}, **(defaults | settings))


async def test_relay_dying_after_publish_still_delivers_exactly_once(pool, clean_streams):
    js = clean_streams
    event = closed()
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, event)

    with pytest.raises(Crash):
        await OutboxRelay(pool, js, after_publish=crash).relay_once()
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 1

    assert await OutboxRelay(pool, js).relay_once() == 1
    assert await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0
    assert await stream_messages(js) == 1  # the republished copy was dropped by Nats-Msg-Id

    c = consumer(pool, js)
    async with running(c):
        await eventually(lambda: pool.fetchval("SELECT count(*) = 1 FROM effects"))
    rows = await pool.fetch("SELECT event_id FROM effects")
    assert [r["event_id"] for r in rows] == [event.id]


async def test_republish_after_the_dedup_window_is_still_applied_once(pool, clean_streams):
    """Outside JetStream's window the copy is stored twice; the processed row stops it."""
    js = clean_streams
    event = closed()
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, event)
    await OutboxRelay(pool, js).relay_once()
    # Same id under a different Nats-Msg-Id: JetStream cannot tell it is a copy.
    from shared.events import encode_event

    await js.publish(event.subject, encode_event(event), headers={"Nats-Msg-Id": "other"})
    assert await stream_messages(js) == 2
    c = consumer(pool, js)
    async with running(c):
        await eventually(lambda: asyncio.sleep(0, c.processed == 2))
    assert await pool.fetchval("SELECT count(*) FROM effects") == 1


async def test_consumer_dying_after_commit_before_ack_applies_once(pool, clean_streams):
    js = clean_streams
    events = [closed(f"r{i}") for i in range(5)]
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, *events)
    await OutboxRelay(pool, js).relay_once()

    first = consumer(pool, js, after_commit=crash)
    task = asyncio.create_task(first.run())
    with pytest.raises(Crash):
        await asyncio.wait_for(task, timeout=15)
    assert await pool.fetchval("SELECT count(*) FROM effects") == 5  # committed, never acked

    second = consumer(pool, js)
    async with running(second):
        info = await eventually(lambda: _all_acked(js), timeout=20)
    assert info.num_redelivered >= 1 or second.processed == 5
    assert await pool.fetchval("SELECT count(*) FROM effects") == 5
    assert await pool.fetchval("SELECT count(DISTINCT event_id) FROM effects") == 5


async def _all_acked(js):
    info = await js.consumer_info("RISK", "test-effects")
    delivered = info.delivered.stream_seq
    return info if info.num_ack_pending == 0 and info.num_pending == 0 and delivered >= 5 else None


async def test_rolled_back_transaction_publishes_nothing(pool, clean_streams):
    js = clean_streams
    with pytest.raises(RuntimeError):
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, closed())
            raise RuntimeError("the state change failed")
    assert await OutboxRelay(pool, js).relay_once() == 0
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 0
    assert await stream_messages(js) == 0


async def test_enqueue_outside_a_transaction_is_refused(pool):
    async with pool.acquire() as conn:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            await enqueue(conn, closed())


async def test_poison_message_is_dead_lettered_and_the_rest_flow(pool, clean_streams):
    js = clean_streams

    async def handler(ctx, event):
        if event.data.reason == "poison":
            raise ValueError("this one always fails")
        await record_effect(ctx, event)

    events = [closed("ok_1"), closed("poison"), closed("ok_2")]
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, *events)
    await OutboxRelay(pool, js).relay_once()

    c = consumer(pool, js, handler=handler, max_deliver=3)
    async with running(c):
        await eventually(lambda: asyncio.sleep(0, c.dead_lettered == 1), timeout=20)
        # The consumer still serves new work after the dead letter.
        later = closed("ok_3")
        async with pool.acquire() as conn, conn.transaction():
            await enqueue(conn, later)
        await OutboxRelay(pool, js).relay_once()
        await eventually(lambda: pool.fetchval("SELECT count(*) = 3 FROM effects"))

    reasons = sorted(r["reason"] for r in await pool.fetch("SELECT reason FROM effects"))
    assert reasons == ["ok_1", "ok_2", "ok_3"]
    dead = await js.get_msg("DEADLETTER", 1)
    assert dead.headers["Amparo-Consumer"] == "test-effects"
    assert dead.headers["Amparo-Error"] == "ValueError"
    assert dead.headers["Amparo-Deliveries"] == "3"
    assert decode_event(dead.data).id == events[1].id
    from deploy.runner import list_dead_letters

    listed = await list_dead_letters(js._nc.connected_url.geturl())
    assert [row["subject"] for row in listed] == [CaseClosed.TYPE]


async def test_undecodable_message_goes_straight_to_dead_letters(pool, clean_streams):
    js = clean_streams
    await js.publish(CaseClosed.TYPE, b"{not json", headers={"Nats-Msg-Id": "garbage"})
    c = consumer(pool, js)
    async with running(c):
        await eventually(lambda: asyncio.sleep(0, c.dead_lettered == 1))
    assert (await js.stream_info("DEADLETTER")).state.messages == 1


async def test_an_outage_longer_than_max_deliver_loses_nothing(pool, clean_streams):
    """A database that is away for more tries than max_deliver allows is an outage, not a
    poison message: the event waits and is applied once, and nothing is dead-lettered."""
    js = clean_streams
    failures = {"left": 5}

    async def flaky(ctx, event):
        if failures["left"] > 0:
            failures["left"] -= 1
            raise ConnectionRefusedError("database away")
        await record_effect(ctx, event)

    event = closed("during_outage")
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(conn, event)
    await OutboxRelay(pool, js).relay_once()
    c = consumer(pool, js, handler=flaky, max_deliver=2)
    async with running(c):
        await eventually(lambda: pool.fetchval("SELECT count(*) = 1 FROM effects"), timeout=30)
    assert failures["left"] == 0
    assert c.dead_lettered == 0
    assert (await js.stream_info("DEADLETTER")).state.messages == 0


async def test_a_gathering_reader_applies_what_arrived_meanwhile_in_one_transaction(pool, clean_streams):
    """A reader nobody waits on (the console's notices, risk's timeline) pauses between
    fetches that did not fill a batch: events published one by one meanwhile come in one
    transaction, and every one of them is applied."""
    from shared.events import encode_event

    js = clean_streams
    commits: list[int] = []

    async def count(msgs) -> None:
        commits.append(len(msgs))

    reader = consumer(pool, js, durable="test-gathering", gather_seconds=3.0, after_commit=count)
    await reader.setup()
    first = closed()
    await js.publish(first.subject, encode_event(first), headers={"Nats-Msg-Id": str(first.id)})
    async with running(reader):
        await eventually(lambda: asyncio.sleep(0, result=commits == [1]))
        # The reader is pausing now: twenty events, each published and acknowledged by
        # JetStream before the next, all arrive during the pause.
        for _ in range(20):
            event = closed()
            await js.publish(event.subject, encode_event(event), headers={"Nats-Msg-Id": str(event.id)})
        await eventually(lambda: asyncio.sleep(0, result=sum(commits) == 21))
    assert commits == [1, 20]
    assert await pool.fetchval("SELECT count(*) FROM effects") == 21


async def test_a_rebind_gives_back_at_once_what_the_old_subscription_was_handed_but_never_fetched(
    pool, clean_streams, nats_url
):
    """When NATS comes back, the consumer binds a new pull subscription (#504). An answer to
    the old one's last pull that came after its fetch gave up waits in the old subscription
    for a fetch that never comes; it is given back at once, not after ack_wait (an hour
    here), and applied."""
    from shared.events import encode_event

    js = clean_streams
    c = consumer(pool, js, durable="test-rebind", ack_wait=3600.0)
    await c.setup()
    event = closed()
    await js.publish(event.subject, encode_event(event), headers={"Nats-Msg-Id": str(event.id)})
    old = c._sub
    # A pull whose answer nobody fetches (the fetch that made it gave up, as one does when
    # the link drops): made by hand with the old subscription's inbox, its answer waits in
    # that subscription (nats-py keeps its inbox private).
    nc = await nats.connect(nats_url)
    try:
        await nc.publish(f"$JS.API.CONSUMER.MSG.NEXT.RISK.{c.durable}", b'{"batch": 1}', reply=old._deliver)
        await nc.flush()
    finally:
        await nc.close()
    await eventually(lambda: asyncio.sleep(0, result=old.pending_msgs == 1))
    assert (await js.consumer_info("RISK", c.durable)).num_ack_pending == 1  # handed, not acked
    await c.setup()  # the rebind after a reconnect
    async with running(c):
        await eventually(lambda: pool.fetchval("SELECT count(*) = 1 FROM effects"), timeout=30)
