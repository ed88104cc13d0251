"""Per-case order (DESIGN.md): a case's events take effect in the order their producer
wrote them, whatever order the stream delivers them in and also when one of them fails
for a while and is retried. Real PostgreSQL, real JetStream, the real consumer."""

from __future__ import annotations

import random
import uuid
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.case_order import CASE_SEQ_HEADER
from shared.consumer import Consumer
from shared.events import CaseClosed, encode_event, new_event
from shared.outbox import OutboxRelay, enqueue
from tests.support import eventually, running


@pytest.fixture
async def pool(service_db):
    pool = await service_db("risk")
    await pool.execute(
        "CREATE TABLE effects (n bigserial PRIMARY KEY, case_id uuid NOT NULL, reason text NOT NULL)"
    )
    return pool


class Flaky(Exception):
    """A handler failure that is the event's own (counted toward dead-lettering)."""


def make_consumer(pool, js, durable: str, failures: dict[str, int]) -> Consumer:
    async def apply(ctx, event) -> None:
        if failures.get(event.data.reason, 0) > 0:
            failures[event.data.reason] -= 1
            # Half of them look like an outage (never counted), half like the event's fault.
            raise (ConnectionResetError if len(event.data.reason) % 2 else Flaky)("failing for a while")
        await ctx.conn.execute(
            "INSERT INTO effects (case_id, reason) VALUES ($1, $2)", event.case_id, event.data.reason
        )

    return Consumer(
        pool=pool,
        js=js,
        stream="RISK",
        durable=durable,
        handlers={CaseClosed: apply},
        max_deliver=10,
        ack_wait=2.0,
        backoff_base=0.02,
        backoff_cap=0.2,
        fetch_timeout=0.05,
        batch_size=8,
    )


async def publish_shuffled(pool, js, rng: random.Random) -> None:
    """What several relays racing each other can do: publish rows in any order."""
    rows = await pool.fetch("SELECT id, subject, payload, case_seq FROM outbox WHERE published_at IS NULL")
    rows = list(rows)
    rng.shuffle(rows)
    for row in rows:
        headers = {"Nats-Msg-Id": str(row["id"]), CASE_SEQ_HEADER: str(row["case_seq"])}
        await js.publish(row["subject"], bytes(row["payload"]), headers=headers)
    await pool.execute(
        "UPDATE outbox SET published_at = now() WHERE id = ANY($1::uuid[])", [r["id"] for r in rows]
    )


# A story: which case writes its next event, in what order (several cases interleaved),
# how many times each event's handler fails before it succeeds, and how the stream is shuffled.
stories = st.tuples(
    st.lists(st.integers(min_value=0, max_value=3), min_size=2, max_size=14),
    st.lists(st.integers(min_value=0, max_value=3), min_size=14, max_size=14),
    st.integers(min_value=0, max_value=2**32 - 1),
)


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(story=stories)
async def test_each_case_takes_effect_in_the_order_it_was_written(pool, clean_streams, story):
    writers, fail_counts, seed = story
    js = clean_streams
    cases = [uuid.uuid4() for _ in range(4)]
    written: dict[uuid.UUID, list[str]] = defaultdict(list)
    failures: dict[str, int] = {}
    for i, which in enumerate(writers):
        case_id = cases[which]
        # A reason code (events carry no free text): the case and its n-th event.
        reason = f"r{'x' * (i % 2)}{case_id.hex[:6]}_{len(written[case_id])}"
        failures[reason] = fail_counts[i]
        written[case_id].append(reason)
        async with pool.acquire() as conn, conn.transaction():  # one producer transaction each
            await enqueue(conn, new_event(CaseClosed(reason=reason), producer="risk", case_id=case_id))
    await publish_shuffled(pool, js, random.Random(seed))

    consumer = make_consumer(pool, js, f"order-{uuid.uuid4().hex[:8]}", failures)
    async with running(consumer):
        await eventually(
            lambda: pool.fetchval(
                "SELECT count(*) = $2 FROM effects WHERE case_id = ANY($1::uuid[])", cases, len(writers)
            ),
            timeout=60,
        )
    applied: dict[uuid.UUID, list[str]] = defaultdict(list)
    for row in await pool.fetch(
        "SELECT case_id, reason FROM effects WHERE case_id = ANY($1::uuid[]) ORDER BY n", cases
    ):
        applied[row["case_id"]].append(row["reason"])
    assert applied == written
    assert consumer.dead_lettered == 0


async def test_without_the_number_the_stream_order_is_all_there_is(pool, clean_streams):
    """Events published without a case number (an older producer) are applied as they come:
    the gate holds only what it can order."""
    js = clean_streams
    case_id = uuid.uuid4()
    for i in (1, 0):
        event = new_event(CaseClosed(reason=f"r{i}"), producer="risk", case_id=case_id)
        await js.publish(event.type, encode_event(event), headers={"Nats-Msg-Id": str(event.id)})
    consumer = make_consumer(pool, js, "order-legacy", {})
    async with running(consumer):
        await eventually(lambda: pool.fetchval("SELECT count(*) = 2 FROM effects"))
    assert [r["reason"] for r in await pool.fetch("SELECT reason FROM effects ORDER BY n")] == ["r1", "r0"]


async def test_a_dead_lettered_event_does_not_block_its_case(pool, clean_streams):
    js = clean_streams
    case_id = uuid.uuid4()
    async with pool.acquire() as conn, conn.transaction():
        await enqueue(
            conn,
            new_event(CaseClosed(reason="poison"), producer="risk", case_id=case_id),
            new_event(CaseClosed(reason="after"), producer="risk", case_id=case_id),
        )
    await OutboxRelay(pool, js).relay_once()
    consumer = make_consumer(pool, js, "order-poison", {"poison": 10**6})
    async with running(consumer):
        await eventually(lambda: pool.fetchval("SELECT count(*) = 1 FROM effects"), timeout=30)
    assert consumer.dead_lettered == 1
    assert [r["reason"] for r in await pool.fetch("SELECT reason FROM effects")] == ["after"]
