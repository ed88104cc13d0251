"""The idempotent consumer: durable pull consumer, one transaction per batch.

The effects of a batch and its ``processed_events`` rows commit together, so a
redelivered event finds its row and does nothing. If any handler fails, the batch is
redone with one savepoint per message, so the failing one is retried alone and its
neighbours still commit. Acks go out only after the commit.
A message that keeps failing is naked with back-off; on its last try it is copied to
the DEADLETTER stream (``deadletter.<stream>.<consumer>``) and terminated, so the
consumer keeps serving the rest. Operators list dead letters with ``amparo deadletters``.

Handlers are keyed by payload *type* and receive the typed ``Envelope[ThatType]``; the
consumer reads every subject of its stream, so an event nobody here handles still
advances its case's order. A reader nobody waits on (``gather_seconds``: risk's timeline,
the console's notices) pauses between fetches that did not fill a batch, so its events
arrive in fewer, larger transactions. Keeping the durable itself alive is
``shared.durable``'s.

Per-case order: the producer numbers each case's events (``Amparo-Case-Seq``, see
``shared.outbox``). An event is applied only once the one numbered before it was
applied here (``consumer_progress``, locked per case, so replicas agree); an early
one is put back (nak, not counted as a failure) and comes again. When an event is
dead-lettered its number is passed, so one poison event never blocks a case for good;
and an event that has waited ``order_wait_seconds`` is applied anyway (a gap left by an
operator's deleted stream must not block a case for ever), with a warning.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg
from nats.errors import TimeoutError as NatsTimeoutError

from shared import case_order, db, deadletters
from shared.durable import DurableUpkeep
from shared.events import Envelope, Payload, decode_event
from shared.logging import bound_contextvars, get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class EventContext:
    """What a handler gets besides its event: the open transaction and its service's config."""

    conn: asyncpg.Connection
    config: Any


Handler = Callable[[EventContext, Envelope[Any]], Awaitable[None]]
Handlers = Mapping[type[Payload], Handler]

# Failures of the infrastructure, not of the event: retried with back-off for as long as
# they last, never counted toward max_deliver (a database failover must not send every
# event in flight to the dead letters). One list with the HTTP side: ``shared.db.AWAY``.
_TRANSIENT = db.AWAY


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, _TRANSIENT)


def raise_if_cancelling() -> None:
    """Python 3.11's ``wait_for`` (inside nats-py's fetch) can swallow a cancellation that
    races with a result; a loop that checks this still stops when asked."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


_CLAIM = (
    "INSERT INTO processed_events (consumer, event_id, subject) "
    "SELECT $1, e.id, e.subject FROM unnest($2::uuid[], $3::text[]) AS e(id, subject) "
    "ON CONFLICT DO NOTHING RETURNING event_id"
)
# The same, with the cases' progress (shared.case_order.save_progress) in one statement.
_CLAIM_AND_SAVE = (
    "WITH saved AS ("
    " UPDATE consumer_progress AS p SET seq = GREATEST(p.seq, v.seq)"
    " FROM unnest($4::uuid[], $5::bigint[]) AS v(case_id, seq)"
    " WHERE p.consumer = $1 AND p.case_id = v.case_id) " + _CLAIM
)


@dataclass(slots=True)
class _Item:
    msg: Any
    event: Envelope[Any]
    seq: int | None  # the producer's number for this case's event, when it has one


class Consumer(DurableUpkeep):
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        js,
        stream: str,
        durable: str,
        handlers: Handlers,
        config: Any = None,
        subjects: list[str] | None = None,
        max_deliver: int = 5,
        ack_wait: float = 10.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        batch_size: int = 64,
        # nats-py's fetch, once a message arrives on an idle stream, waits for the batch
        # to fill until this timeout: it is the latency an idle consumer adds per hop.
        fetch_timeout: float = 0.1,
        order_wait_seconds: float = 600.0,
        gather_seconds: float = 0.0,
        after_commit: Callable[[list], Awaitable[None]] | None = None,
    ) -> None:
        self._pool = pool
        self._js = js
        self.stream = stream
        self.durable = durable
        self._handlers: dict[str, Handler] = {payload.TYPE: h for payload, h in handlers.items()}
        self._config = config
        # Every subject of the stream unless told otherwise: per-case numbering has no gaps
        # only if this consumer sees all of a case's events.
        self._subjects = subjects or [f"amparo.{stream.lower()}.>"]
        self._max_deliver = max_deliver
        self._ack_wait = ack_wait
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._batch = batch_size
        self._fetch_timeout = fetch_timeout
        self._order_wait = order_wait_seconds
        self._gather = gather_seconds
        # Fault-injection point for tests: runs after the commit, before the acks.
        self._after_commit = after_commit
        self._sub = None
        self._next_check = time.monotonic() + self.CHECK_SECONDS
        self._rebind = False
        # The durable or its stream is gone and could not be made again yet (/ready says so).
        self.missing = False
        self.last_fetch_ok = time.monotonic()
        self.processed = 0
        self.dead_lettered = 0
        self.parked = 0

    async def run(self) -> None:
        if self._sub is None:
            self.check_soon(rebind=True)
        while True:
            raise_if_cancelling()
            await self._check_if_due()
            if self._sub is None:  # not bound yet: its stream is missing, or NATS is away
                await asyncio.sleep(min(1.0, self.CHECK_SECONDS))
                continue
            try:
                msgs = await self._sub.fetch(self._batch, timeout=self._fetch_timeout)
            except (NatsTimeoutError, TimeoutError):
                if not self.missing:
                    self.last_fetch_ok = time.monotonic()
                await self._let_gather()
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer.fetch_error", consumer=self.durable, error=type(exc).__name__)
                self.check_soon()  # "consumer not found", "stream not found": look now
                await asyncio.sleep(1.0)
                continue
            self.last_fetch_ok = time.monotonic()
            try:
                await self.process(msgs)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never let one batch end the consumer; JetStream redelivers
                log.error("consumer.batch_crashed", consumer=self.durable, error=type(exc).__name__)
            if len(msgs) < self._batch:  # caught up: a full batch means more are waiting
                await self._let_gather()

    async def _let_gather(self) -> None:
        if self._gather > 0:
            await asyncio.sleep(self._gather)

    async def process(self, msgs: list) -> None:
        items: list[_Item] = []
        for msg in msgs:
            try:
                event = decode_event(msg.data, unknown_ok=True)
            except Exception as exc:  # poison: it will never decode, don't retry it
                await self._dead_letter(msg, exc, None, None)
                continue
            items.append(_Item(msg, event, case_order.case_seq(msg) if event.case_id is not None else None))
        if not items:
            return
        try:
            done, parked = await self._in_one_transaction(items, one_by_one=False)
            failed: list[tuple[_Item, Exception]] = []
        except Exception:
            # Some handler failed: redo the batch one savepoint per message, so the failing
            # message is retried alone and its neighbours still commit; a later event of the
            # failing one's case waits for it (parked).
            try:
                done, parked, failed = await self._in_one_transaction(items, one_by_one=True)
            except Exception as exc:  # the commit itself failed: every message is retried
                log.warning("consumer.batch_failed", consumer=self.durable, error=type(exc).__name__)
                done, parked, failed = [], [], [(item, exc) for item in items]
        if self._after_commit is not None and done:
            await self._after_commit([item.msg for item in done])
        for item in done:
            await item.msg.ack()
        self.processed += len(done)
        for item in parked:
            self.parked += 1
            # Not a failure: it comes back soon, once its predecessor had a chance.
            tries = item.msg.metadata.num_delivered or 1
            await item.msg.nak(delay=min(2.0, 0.05 * 2 ** min(tries, 6)))
        for item, exc in failed:
            await self._retry_or_dead_letter(item, exc)

    async def _in_one_transaction(self, items: list[_Item], *, one_by_one: bool):
        """Apply what may be applied now, in stream order, in one transaction.

        Returns (done, parked) or, one by one, (done, parked, failed)."""
        done: list[_Item] = []
        parked: list[_Item] = []
        failed: list[tuple[_Item, Exception]] = []
        async with self._pool.acquire() as conn, conn.transaction():
            progress = await case_order.lock_progress(
                conn, self.durable, list({i.event.case_id for i in items if i.seq is not None})
            )
            blocked: set[uuid.UUID] = set()  # cases whose event failed in this batch
            ready: list[_Item] = []
            # A batch may hold a case's events in any order (relays race): take them by number.
            numbered = sorted((i for i in items if i.seq is not None), key=lambda i: (i.event.case_id, i.seq))
            for item in [*(i for i in items if i.seq is None), *numbered]:
                case_id = item.event.case_id
                if item.seq is not None and not case_order.in_turn(
                    self.durable, case_id, item.seq, item.msg, progress, self._order_wait
                ):
                    parked.append(item)
                    continue
                if item.seq is not None:
                    progress[case_id] = max(progress.get(case_id, 0), item.seq)
                ready.append(item)
            if not one_by_one:
                # The cases' progress is saved by the claim's own statement: one round trip
                # less per batch, and any handler's failure rolls both back.
                fresh = await self._claim(conn, ready, progress=progress)
                for item in ready:
                    if item.event.id in fresh:
                        fresh.discard(item.event.id)  # a batch may carry the same event twice
                        with self._event_context(item.event):
                            await self._handle(conn, item.event)
                done = ready
            else:
                applied: dict[uuid.UUID, int] = {}
                for item in ready:
                    case_id = item.event.case_id
                    if case_id in blocked and item.seq is not None:
                        parked.append(item)
                        continue
                    with self._event_context(item.event):
                        try:
                            async with conn.transaction():
                                if await self._claim(conn, [item]):
                                    await self._handle(conn, item.event)
                            done.append(item)
                            if item.seq is not None:
                                applied[case_id] = max(applied.get(case_id, 0), item.seq)
                        except Exception as exc:
                            log.warning(
                                "consumer.handler_failed", consumer=self.durable, error=type(exc).__name__
                            )
                            failed.append((item, exc))
                            if item.seq is not None:
                                blocked.add(case_id)
                await case_order.save_progress(conn, self.durable, applied)
        return (done, parked, failed) if one_by_one else (done, parked)

    async def _claim(
        self, conn: asyncpg.Connection, items: list[_Item], *, progress: dict[uuid.UUID, int] | None = None
    ) -> set[uuid.UUID]:
        """Record the events as processed (and, given ``progress``, save the cases' progress
        in the same statement); returns the ids seen here for the first time."""
        if not items:
            return set()
        ids, subjects = [item.event.id for item in items], [item.event.type for item in items]
        if progress:
            rows = await conn.fetch(
                _CLAIM_AND_SAVE, self.durable, ids, subjects, list(progress), list(progress.values())
            )
        else:
            rows = await conn.fetch(_CLAIM, self.durable, ids, subjects)
        return {row["event_id"] for row in rows}

    @staticmethod
    def _event_context(event: Envelope[Any]):
        return bound_contextvars(
            correlation_id=str(event.correlation_id),
            case_id=str(event.case_id) if event.case_id else None,
            event_id=str(event.id),
            event_type=event.type,
        )

    async def _handle(self, conn: asyncpg.Connection, event: Envelope[Any]) -> None:
        handler = self._handlers.get(event.type) if event.data is not None else None
        if handler is not None:
            await handler(EventContext(conn, self._config), event)

    async def apply_dead_letter(self, data: bytes) -> bool:
        """One of this consumer's dead letters, applied now (an operator's replay through the
        service's admin route, ``shared.admin``): the same claim and handler in one
        transaction as a delivery, so it is applied at most once. Its case's order was passed
        over when it was dead-lettered. False when it had been applied already; a handler
        that fails again raises, and nothing is kept."""
        event = decode_event(data, unknown_ok=True)
        with self._event_context(event):
            async with self._pool.acquire() as conn, conn.transaction():
                if not await self._claim(conn, [_Item(None, event, None)]):
                    return False
                await self._handle(conn, event)
                await conn.execute(
                    "DELETE FROM consumer_failures WHERE consumer = $1 AND event_id = $2",
                    self.durable,
                    event.id,
                )
        log.info("consumer.dead_letter_applied", consumer=self.durable)
        return True

    async def _retry_or_dead_letter(self, item: _Item, exc: Exception) -> None:
        msg = item.msg
        if is_transient(exc):
            # The infrastructure, not the event: never counted, retried for as long as it lasts.
            tries = msg.metadata.num_delivered or 1
        else:
            tries = await self._count_failure(item.event.id)
            if tries is None:  # the database is away too: that is an outage, not the event
                tries = 1
            elif tries >= self._max_deliver:
                await self._dead_letter(msg, exc, item.event.case_id, item.seq)
                return
        delay = min(self._backoff_cap, self._backoff_base * 2 ** (min(tries, 16) - 1))
        await msg.nak(delay=delay)

    async def _count_failure(self, event_id: uuid.UUID) -> int | None:
        try:
            return await self._pool.fetchval(
                "INSERT INTO consumer_failures AS f (consumer, event_id, failures) VALUES ($1, $2, 1) "
                "ON CONFLICT (consumer, event_id) DO UPDATE "
                "SET failures = f.failures + 1, last_failed_at = now() RETURNING failures",
                self.durable,
                event_id,
            )
        except Exception as exc:
            log.warning("consumer.failure_not_counted", consumer=self.durable, error=type(exc).__name__)
            return None

    async def _dead_letter(self, msg, exc: Exception, case_id: uuid.UUID | None, seq: int | None) -> None:
        meta = msg.metadata
        headers = deadletters.letter_headers(msg, stream=self.stream, consumer=self.durable, error=exc)
        await self._js.publish(
            deadletters.letter_subject(self.stream, self.durable), msg.data, headers=headers
        )
        if case_id is not None and seq is not None:
            await case_order.pass_over(self._pool, self.durable, case_id, seq)
        await msg.term()
        self.dead_lettered += 1
        log.error(
            "consumer.dead_lettered",
            consumer=self.durable,
            stream_seq=meta.sequence.stream,
            deliveries=meta.num_delivered,
            error=type(exc).__name__,
        )
