"""pipeline_ratio: events/s through outbox -> relay -> JetStream -> idempotent consumer
commit, divided by raw JetStream async publish -> pull/ack, on the same nats-server.

As in the running system, the producing side (state changes + relay, or raw publishes)
and the consuming side run in separate processes; the consumer process reports the wall
time at which it has consumed all N events. Both sides run on uvloop, as the services do
(``shared.transport``): on the stdlib loop asyncpg's socket writes alone took 45 % of the
producing process."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
import uuid
from pathlib import Path

import uvloop
from nats.errors import TimeoutError as NatsTimeoutError

from shared import broker, db
from shared.config import with_database
from shared.consumer import Consumer
from shared.events import CaseClosed, encode_event, new_event
from shared.outbox import OutboxRelay, enqueue

SUBJECT = CaseClosed.TYPE


def run(coro):
    """Run a side of the measure on uvloop, the services' loop."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def _event():
    return new_event(CaseClosed(reason="bench"), producer="bench", case_id=uuid.uuid4())


# --- the consuming process ------------------------------------------------------------


async def _consume(mode: str, n: int, nats_url: str, dsn: str) -> None:
    nc = await broker.connect(nats_url, name=f"bench-consume-{mode}")
    js = nc.jetstream()
    pool = None
    if mode == "raw":
        sub = await js.pull_subscribe(SUBJECT, durable="bench-raw", stream="RISK")
        print("ready", flush=True)
        received = 0
        while received < n:
            try:
                msgs = await sub.fetch(256, timeout=0.1)
            except (NatsTimeoutError, TimeoutError):  # nats-py raises either when nothing came
                continue
            for msg in msgs:
                await msg.ack()
            received += len(msgs)
    else:
        pool = await db.create_pool(dsn, min_size=2, max_size=4)

        async def effect(ctx, event) -> None:
            return None  # the processed-event row, committed with the batch, is the effect

        consumer = Consumer(
            pool=pool,
            js=js,
            stream="RISK",
            durable="bench-pipeline",
            handlers={CaseClosed: effect},
            batch_size=256,
        )
        await consumer.setup()
        print("ready", flush=True)
        task = asyncio.create_task(consumer.run())
        while consumer.processed < n:  # noqa: ASYNC110 - the consumer exposes a counter, not an event
            await asyncio.sleep(0.005)
        task.cancel()
    print(f"done {time.time()}", flush=True)
    await nc.close()
    if pool is not None:
        await pool.close()


# --- the producing process ------------------------------------------------------------


def _start_consumer(mode: str, n: int, nats_url: str, dsn: str) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.pipeline", mode, str(n), nats_url, dsn],
        stdout=subprocess.PIPE,
        text=True,
    )
    if proc.stdout.readline().strip() != "ready":
        raise RuntimeError(f"{mode} consumer did not start")
    return proc


def _finished_at(proc: subprocess.Popen) -> float:
    line = proc.stdout.readline().strip()
    proc.wait(30)
    return float(line.split()[1])


async def raw_rate(js, nats_url: str, dsn: str, n: int) -> float:
    await broker.reset_streams(js)
    payload = encode_event(_event())
    consumer = _start_consumer("raw", n, nats_url, dsn)
    started = time.time()
    for i in range(n):
        await js.publish_async(SUBJECT, payload, headers={"Nats-Msg-Id": f"raw-{i}"})
    await js.publish_async_completed()
    return n / (_finished_at(consumer) - started)


async def pipeline_rate(pool, js, nats_url: str, dsn: str, n: int, writers: int = 16) -> float:
    await broker.reset_streams(js)
    total = (n // writers) * writers
    consumer = _start_consumer("pipeline", total, nats_url, dsn)
    relay = OutboxRelay(pool, js, batch_size=512, poll_seconds=0.5)
    relay_task = asyncio.create_task(relay.run())

    async def writer(count: int) -> None:
        # One state change, one event, one transaction: the shape the services write.
        for _ in range(count):
            async with pool.acquire() as conn, conn.transaction():
                await enqueue(conn, _event())

    started = time.time()
    await asyncio.gather(*(writer(n // writers) for _ in range(writers)))
    finished = await asyncio.to_thread(_finished_at, consumer)
    relay_task.cancel()
    await asyncio.gather(relay_task, return_exceptions=True)
    return total / (finished - started)


async def measure(server_url: str, nats_url: str, n: int = 20000) -> dict[str, float]:
    name = f"bench_pipeline_{uuid.uuid4().hex[:6]}"
    await db.ensure_database(server_url, name)
    dsn = with_database(server_url, name)
    await db.migrate(dsn, Path(__file__).parent / "no_migrations")
    pool = await db.create_pool(dsn, min_size=4, max_size=20)
    nc = await broker.connect(nats_url, name="bench")
    js = nc.jetstream()
    try:
        raw = await raw_rate(js, nats_url, dsn, n)
        piped = await pipeline_rate(pool, js, nats_url, dsn, n)
    finally:
        await broker.delete_streams(js)
        await nc.close()
        await pool.close()
    return {
        "raw_events_per_s": round(raw),
        "pipeline_events_per_s": round(piped),
        "pipeline_ratio": round(piped / raw, 3),
    }


if __name__ == "__main__":
    mode, count, url, target_dsn = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    run(_consume(mode, count, url, target_dsn))
