"""pipeline_ratio: events/s through outbox -> relay -> JetStream -> idempotent consumer
commit, divided by raw JetStream async publish + pull/ack, on the same nats-server."""

from __future__ import annotations

import asyncio
import time
import uuid

from nats.errors import TimeoutError as NatsTimeoutError

from shared import broker, db
from shared.config import with_database
from shared.consumer import Consumer
from shared.events import CaseClosed, encode_event, new_event
from shared.outbox import OutboxRelay, enqueue


async def raw_rate(js, n: int) -> float:
    await broker.delete_streams(js)
    await broker.ensure_streams(js)
    payload = encode_event(new_event(CaseClosed(reason="bench"), producer="bench", case_id=uuid.uuid4()))
    sub = await js.pull_subscribe("amparo.risk.case.closed", durable="bench-raw", stream="RISK")
    received = 0

    async def consume() -> None:
        nonlocal received
        while received < n:
            try:
                msgs = await sub.fetch(256, timeout=1)
            except NatsTimeoutError:
                continue
            for msg in msgs:
                await msg.ack()
            received += len(msgs)

    started = time.perf_counter()
    consumer = asyncio.create_task(consume())
    for i in range(n):
        await js.publish_async("amparo.risk.case.closed", payload, headers={"Nats-Msg-Id": f"raw-{i}"})
    await js.publish_async_completed()
    await consumer
    return n / (time.perf_counter() - started)


async def pipeline_rate(pool, js, dsn: str, n: int, writers: int = 16) -> float:
    await broker.delete_streams(js)
    await broker.ensure_streams(js)

    async def effect(conn, event) -> None:
        return None  # the processed-event row is the effect being measured

    consumer = Consumer(
        pool=pool,
        js=js,
        stream="RISK",
        durable="bench-pipeline",
        handlers={CaseClosed.TYPE: effect},
        batch_size=256,
    )
    await consumer.setup()
    relay = OutboxRelay(pool, js, listen_dsn=dsn, batch_size=512, poll_seconds=0.5)
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]

    async def writer(count: int) -> None:
        # One state change, one event, one transaction: the shape the services write.
        for _ in range(count):
            async with pool.acquire() as conn, conn.transaction():
                await enqueue(
                    conn, new_event(CaseClosed(reason="bench"), producer="bench", case_id=uuid.uuid4())
                )

    started = time.perf_counter()
    await asyncio.gather(*(writer(n // writers) for _ in range(writers)))
    total = (n // writers) * writers
    while consumer.processed < total:  # noqa: ASYNC110 - the consumer exposes a counter, not an event
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return total / elapsed


async def measure(server_url: str, nats_url: str, n: int = 20000) -> dict[str, float]:
    name = f"bench_pipeline_{uuid.uuid4().hex[:6]}"
    await db.ensure_database(server_url, name)
    dsn = with_database(server_url, name)
    from pathlib import Path

    await db.migrate(dsn, Path(__file__).parent / "no_migrations")
    pool = await db.create_pool(dsn, min_size=4, max_size=20)
    nc = await broker.connect(nats_url, name="bench")
    js = nc.jetstream()
    try:
        raw = await raw_rate(js, n)
        piped = await pipeline_rate(pool, js, dsn, n)
    finally:
        await broker.delete_streams(js)
        await nc.close()
        await pool.close()
    return {
        "raw_events_per_s": round(raw),
        "pipeline_events_per_s": round(piped),
        "pipeline_ratio": round(piped / raw, 3),
    }
