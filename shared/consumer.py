"""The idempotent consumer: durable pull consumer, one transaction per batch.

The effects of a batch and its ``processed_events`` rows commit together, so a
redelivered event finds its row and does nothing. If any handler fails, the batch is
redone with one savepoint per message, so the failing one is retried alone and its
neighbours still commit. Acks go out only after the commit.
A message that keeps failing is naked with back-off; on its last try it is copied to
the DEADLETTER stream (``deadletter.<stream>.<consumer>``) and terminated, so the
consumer keeps serving the rest. Operators list dead letters with ``amparo deadletters``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping

import asyncpg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from shared.events import Envelope, decode_event
from shared.logging import bound_contextvars, get_logger

log = get_logger(__name__)

Handler = Callable[[asyncpg.Connection, Envelope], Awaitable[None]]

# Failures of the infrastructure, not of the event: retried with back-off for as long as
# they last, never counted toward max_deliver (a database failover must not send every
# event in flight to the dead letters).
_TRANSIENT = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
)


def is_transient(exc: BaseException) -> bool:
    return isinstance(exc, _TRANSIENT)


def raise_if_cancelling() -> None:
    """Python 3.11's ``wait_for`` (inside nats-py's fetch) can swallow a cancellation that
    races with a result; a loop that checks this still stops when asked."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


class Consumer:
    def __init__(
        self,
        *,
        pool: asyncpg.Pool,
        js,
        stream: str,
        durable: str,
        handlers: Mapping[str, Handler],
        max_deliver: int = 5,
        ack_wait: float = 10.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 60.0,
        batch_size: int = 64,
        # nats-py's fetch, once a message arrives on an idle stream, waits for the batch
        # to fill until this timeout: it is the latency an idle consumer adds per hop.
        fetch_timeout: float = 0.1,
        after_commit: Callable[[list], Awaitable[None]] | None = None,
    ) -> None:
        self._pool = pool
        self._js = js
        self.stream = stream
        self.durable = durable
        self._handlers = dict(handlers)
        self._max_deliver = max_deliver
        self._ack_wait = ack_wait
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._batch = batch_size
        self._fetch_timeout = fetch_timeout
        # Fault-injection point for tests: runs after the commit, before the acks.
        self._after_commit = after_commit
        self._sub = None
        self.last_fetch_ok = time.monotonic()
        self.processed = 0
        self.dead_lettered = 0

    async def setup(self) -> None:
        # Created explicitly: pull_subscribe ignores durable_name and config updates (#506, #603).
        config = ConsumerConfig(
            durable_name=self.durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            filter_subjects=sorted(self._handlers),
            ack_wait=self._ack_wait,
            # Unlimited at the server: we dead-letter on our own count of the event's own
            # failures, and retry infrastructure failures for as long as they last.
            max_deliver=-1,
            max_ack_pending=1000,
        )
        await self._js.add_consumer(self.stream, config)
        self._sub = await self._js.pull_subscribe_bind(durable=self.durable, stream=self.stream)

    async def run(self) -> None:
        if self._sub is None:
            await self.setup()
        while True:
            raise_if_cancelling()
            try:
                msgs = await self._sub.fetch(self._batch, timeout=self._fetch_timeout)
            except (NatsTimeoutError, TimeoutError):
                self.last_fetch_ok = time.monotonic()
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("consumer.fetch_error", consumer=self.durable, error=type(exc).__name__)
                await asyncio.sleep(1.0)
                continue
            self.last_fetch_ok = time.monotonic()
            try:
                await self.process(msgs)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # never let one batch end the consumer; JetStream redelivers
                log.error("consumer.batch_crashed", consumer=self.durable, error=type(exc).__name__)

    async def process(self, msgs: list) -> None:
        decoded: list[tuple[object, Envelope]] = []
        for msg in msgs:
            try:
                decoded.append((msg, decode_event(msg.data)))
            except Exception as exc:  # poison: it will never decode, don't retry it
                await self._dead_letter(msg, exc)
        if not decoded:
            return
        try:
            done = await self._process_batch(decoded)
            failed: list[tuple[object, Exception]] = []
        except Exception:
            # Some handler failed: redo the batch one savepoint per message, so the
            # failing message is retried alone and its neighbours still commit.
            done, failed = await self._process_one_by_one(decoded)
        if self._after_commit is not None and done:
            await self._after_commit(done)
        for msg in done:
            await msg.ack()
        self.processed += len(done)
        for msg, exc in failed:
            await self._retry_or_dead_letter(msg, exc)

    async def _process_batch(self, decoded: list[tuple[object, Envelope]]) -> list:
        """Fast path: one transaction, one insert for all processed-event rows."""
        async with self._pool.acquire() as conn, conn.transaction():
            fresh = {
                row["event_id"]
                for row in await conn.fetch(
                    "INSERT INTO processed_events (consumer, event_id, subject) "
                    "SELECT $1, e.id, e.subject FROM unnest($2::uuid[], $3::text[]) AS e(id, subject) "
                    "ON CONFLICT DO NOTHING RETURNING event_id",
                    self.durable,
                    [event.id for _, event in decoded],
                    [event.type for _, event in decoded],
                )
            }
            for _, event in decoded:
                if event.id in fresh:
                    fresh.discard(event.id)  # a batch may carry the same event twice
                    with self._event_context(event):
                        await self._handle(conn, event)
        return [msg for msg, _ in decoded]

    async def _process_one_by_one(self, decoded: list[tuple[object, Envelope]]) -> tuple[list, list]:
        done: list = []
        failed: list[tuple[object, Exception]] = []
        try:
            async with self._pool.acquire() as conn, conn.transaction():
                for msg, event in decoded:
                    with self._event_context(event):
                        try:
                            async with conn.transaction():
                                await self._apply(conn, event)
                            done.append(msg)
                        except Exception as exc:
                            log.warning(
                                "consumer.handler_failed", consumer=self.durable, error=type(exc).__name__
                            )
                            failed.append((msg, exc))
        except Exception as exc:  # the commit itself failed: every message is retried
            log.warning("consumer.batch_failed", consumer=self.durable, error=type(exc).__name__)
            return [], [(m, exc) for m, _ in decoded]
        return done, failed

    @staticmethod
    def _event_context(event: Envelope):
        return bound_contextvars(
            correlation_id=str(event.correlation_id),
            case_id=str(event.case_id) if event.case_id else None,
            event_id=str(event.id),
            event_type=event.type,
        )

    async def _handle(self, conn: asyncpg.Connection, event: Envelope) -> None:
        handler = self._handlers.get(event.type)
        if handler is not None:
            await handler(conn, event)

    async def _apply(self, conn: asyncpg.Connection, event: Envelope) -> None:
        first_time = await conn.fetchval(
            "INSERT INTO processed_events (consumer, event_id, subject) VALUES ($1, $2, $3) "
            "ON CONFLICT DO NOTHING RETURNING true",
            self.durable,
            event.id,
            event.type,
        )
        if not first_time:
            log.debug("consumer.duplicate_skipped", consumer=self.durable)
            return
        await self._handle(conn, event)

    async def _retry_or_dead_letter(self, msg, exc: Exception) -> None:
        tries = msg.metadata.num_delivered
        if tries >= self._max_deliver and not is_transient(exc):
            await self._dead_letter(msg, exc)
            return
        delay = min(self._backoff_cap, self._backoff_base * 2 ** (min(tries, 16) - 1))
        await msg.nak(delay=delay)

    async def _dead_letter(self, msg, exc: Exception) -> None:
        meta = msg.metadata
        headers = {
            "Amparo-Original-Subject": msg.subject,
            "Amparo-Stream": self.stream,
            "Amparo-Stream-Seq": str(meta.sequence.stream),
            "Amparo-Consumer": self.durable,
            "Amparo-Deliveries": str(meta.num_delivered),
            # The class only: exception messages may quote input.
            "Amparo-Error": type(exc).__name__,
            "Nats-Msg-Id": f"{self.durable}:{meta.sequence.stream}",
        }
        await self._js.publish(f"deadletter.{self.stream}.{self.durable}", msg.data, headers=headers)
        await msg.term()
        self.dead_lettered += 1
        log.error(
            "consumer.dead_lettered",
            consumer=self.durable,
            stream_seq=meta.sequence.stream,
            deliveries=meta.num_delivered,
            error=type(exc).__name__,
        )
