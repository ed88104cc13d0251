"""Transactional outbox: events are rows written with the state change, then relayed.

``enqueue`` runs inside the caller's transaction, so a rolled-back change publishes
nothing. ``OutboxRelay`` publishes pending rows with ``Nats-Msg-Id`` = event id and
marks them sent only after JetStream acknowledged them; if it dies in between, the row
is published again and JetStream (or the consumer's processed-event row) drops the copy.
Pending rows are claimed with ``FOR UPDATE SKIP LOCKED``, never by tailing the id:
sequence order is not commit order.

The relay is fed by its own process: ``enqueue`` tells the connection what it wrote, the
connection's transactions tell it what was committed (a rolled-back savepoint or
transaction drops its events; a COMMIT that failed midway leaves them unsure), and the
pool hands the committed events to the relay when the connection comes back
(``shared.db.Pool``). The relay publishes those as they are, without reading them back,
and marks their rows in one statement. A transaction that failed but ended quietly (an
error caught without a savepoint) has its COMMIT answered with ROLLBACK: its events are
dropped. The table stays the truth: the relay reads it (``relay_once``) when a hand-over
was unsure and after a failure, and every ``poll_seconds`` (1 s) however busy it is, then
for the rows older than a poll (younger ones are the hand-overs' to publish). The poll
finds what is written otherwise within one to two polls (an operator's command such as
``amparo retention``, a row typed by hand, a process that died between its commit and
handing its connection back, a replica whose relay is stalled). A row both
paths publish is one message: JetStream drops the copy by its id. This replaced
LISTEN/NOTIFY: a notifying transaction holds a database-wide lock from its commit
through the WAL flush, so writers committed one at a time (README, Benchmark).
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import NamedTuple

import asyncpg

from shared.case_order import CASE_SEQ_HEADER
from shared.consumer import raise_if_cancelling
from shared.events import Envelope, encode_event
from shared.logging import get_logger

log = get_logger(__name__)

# Events handed over and not yet published beyond which the relay stops keeping them and
# reads the table instead (NATS away for long while the service keeps writing).
FRESH_LIMIT = 10_000
ERROR_BACKOFF_SECONDS = 1.0


class Written(NamedTuple):
    """An event as its row was written: what the relay publishes once it is committed."""

    id: uuid.UUID
    subject: str
    payload: bytes
    case_seq: int | None


async def enqueue(conn: asyncpg.Connection, *events: Envelope) -> None:
    """Write events in the caller's transaction (which must be open)."""
    if not events:
        return
    if not conn.is_in_transaction():
        raise RuntimeError("outbox.enqueue must run inside the transaction of the state change")
    payloads = [encode_event(e) for e in events]
    # One statement for any number of events: it numbers each case's events (the
    # case_sequences upsert holds the case's row lock until commit, so the numbers follow
    # commit order) and inserts the rows.
    seqs = await conn.fetch(
        _ENQUEUE,
        [e.id for e in events],
        [e.subject for e in events],
        payloads,
        [e.correlation_id for e in events],
        [e.case_id for e in events],
    )
    # The connection keeps them until its transaction ends; its pool hands the committed
    # ones to the relay when the connection comes back (shared.db).
    note = getattr(conn, "note_events_written", None)
    if note is not None:
        numbers = {row["id"]: row["case_seq"] for row in seqs}
        note([Written(e.id, e.subject, p, numbers[e.id]) for e, p in zip(events, payloads, strict=True)])


_ENQUEUE = """
WITH ev AS (
    SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::uuid[], $5::uuid[])
        WITH ORDINALITY AS e(id, subject, payload, correlation_id, case_id, n)
), seq AS (
    -- In case_id order, so two transactions naming the same cases lock them alike.
    INSERT INTO case_sequences AS s (case_id, last_seq)
    SELECT case_id, count(*) FROM ev WHERE case_id IS NOT NULL GROUP BY case_id ORDER BY case_id
    ON CONFLICT (case_id) DO UPDATE SET last_seq = s.last_seq + EXCLUDED.last_seq
    RETURNING case_id, last_seq
)
INSERT INTO outbox (id, subject, payload, correlation_id, case_id, case_seq)
SELECT ev.id, ev.subject, ev.payload, ev.correlation_id, ev.case_id,
       seq.last_seq - count(*) OVER w + row_number() OVER (w ORDER BY ev.n)
FROM ev LEFT JOIN seq USING (case_id)
WINDOW w AS (PARTITION BY ev.case_id)
RETURNING id, case_seq
"""


# Both ways of relaying mark sent rows alike; a row the other way marked first stays as it is.
_MARK_SENT = (
    "UPDATE outbox SET published_at = clock_timestamp(), attempts = attempts + 1 "
    "WHERE id = ANY($1::uuid[]) AND published_at IS NULL"
)


def message_headers(event_id: uuid.UUID, case_seq: int | None) -> dict[str, str]:
    """An event's message headers, the relay's and `amparo replay`'s alike: the same id
    is what lets JetStream drop a copy."""
    headers = {"Nats-Msg-Id": str(event_id)}
    if case_seq is not None:
        headers[CASE_SEQ_HEADER] = str(case_seq)
    return headers


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        js,
        *,
        batch_size: int = 256,
        poll_seconds: float = 1.0,
        publish_timeout: float = 5.0,
        retention_days: int = 30,
        after_publish: Callable[[list], Awaitable[None]] | None = None,
    ) -> None:
        self._pool = pool
        self._js = js
        self._batch = batch_size
        self._poll = poll_seconds
        self._timeout = publish_timeout
        self._retention_days = retention_days
        # Fault-injection point for tests: runs after the acks, before rows are marked.
        self._after_publish = after_publish
        self._wake = asyncio.Event()
        # Events this process committed, handed over by its pool (shared.db.Pool): published
        # without reading them back. The table stays the truth: whatever is not published
        # from here (a failure, an overflow, a writer the pool could not vouch for) is found
        # by a look at the table.
        self._fresh: deque[Written] = deque()
        self._look = True  # at start: rows may be waiting from before
        on_events_written = getattr(pool, "on_events_written", None)  # shared.db.Pool
        if on_events_written is not None:
            on_events_written(self._handed)
        self.published = 0

    def _handed(self, committed: list[Written], unsure: bool) -> None:
        if len(self._fresh) + len(committed) > FRESH_LIMIT:
            self._fresh.clear()  # NATS has been away a while: the table has them all
            self._look = True
        else:
            self._fresh.extend(committed)
        if unsure:
            self._look = True
        self._wake.set()

    async def _publish(self, batch: list[Written]) -> tuple[list[uuid.UUID], list[tuple[uuid.UUID, str]]]:
        """Publish in order and wait for JetStream's acks: (sent ids, failed ids with why)."""
        futures = [
            await self._js.publish_async(w.subject, w.payload, headers=message_headers(w.id, w.case_seq))
            for w in batch
        ]
        results = await asyncio.wait_for(
            asyncio.gather(*futures, return_exceptions=True), timeout=self._timeout
        )
        if self._after_publish is not None:
            await self._after_publish(batch)
        sent = [w.id for w, res in zip(batch, results, strict=True) if not isinstance(res, Exception)]
        failed = [
            (w.id, type(res).__name__)
            for w, res in zip(batch, results, strict=True)
            if isinstance(res, Exception)
        ]
        return sent, failed

    async def relay_fresh(self) -> int:
        """Publish one batch of the events handed over, then mark their rows in one statement
        (a row the table's look marked meanwhile is left as it is); returns how many were taken."""
        batch = [self._fresh.popleft() for _ in range(min(self._batch, len(self._fresh)))]
        if not batch:
            return 0
        try:
            sent, failed = await self._publish(batch)
        except BaseException:
            self._look = True  # none marked: the table's look publishes them again
            raise
        if failed:
            self._look = True  # retried from the table, where their attempts are counted
        if sent:
            result = await self._pool.execute(_MARK_SENT, sent)
            self.published += int(result.split()[-1])
        return len(batch)

    async def relay_once(self, *, older_than: float = 0.0) -> int:
        """Publish one batch of pending rows read from the table (written at least
        ``older_than`` seconds ago); returns how many were marked sent."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """SELECT id, subject, payload, case_seq FROM outbox
                   WHERE published_at IS NULL
                     AND created_at <= clock_timestamp() - make_interval(secs => $2)
                   ORDER BY created_at, case_seq
                   LIMIT $1
                   FOR UPDATE SKIP LOCKED""",
                self._batch,
                older_than,
            )
            if not rows:
                return 0
            if len(rows) >= self._batch:
                self._look = True  # a full batch: more are waiting
            sent, failed = await self._publish(
                [Written(r["id"], r["subject"], bytes(r["payload"]), r["case_seq"]) for r in rows]
            )
            if sent:
                await conn.execute(_MARK_SENT, sent)
            if failed:
                await conn.executemany(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = $2 WHERE id = $1", failed
                )
                log.warning("outbox.publish_failed", count=len(failed), error=failed[0][1])
            self.published += len(sent)
            return len(sent)

    async def purge_published(self) -> int:
        """Delete rows sent more than ``retention_days`` ago (AMPARO_OUTBOX_RETENTION_DAYS):
        until then `amparo replay` can publish them again."""
        result = await self._pool.execute(
            "DELETE FROM outbox WHERE published_at < now() - make_interval(days => $1)", self._retention_days
        )
        return int(result.split()[-1])

    async def run(self) -> None:
        """Relay until cancelled: what its own process hands over, the table's pending rows
        when told to look, and the table's rows older than a poll every ``poll_seconds``."""
        last_purge = 0.0
        loop = asyncio.get_running_loop()
        last_look = loop.time()  # the first turn looks: _look starts True
        while True:
            raise_if_cancelling()
            # Cleared before working: a hand-over while we work wakes the next turn.
            self._wake.clear()
            # The poll, however busy the hand-overs keep the relay: rows no hand-over told
            # of. It reads the rows older than a poll, so that it does not race the
            # hand-overs for the rows they are about to publish.
            polling = loop.time() - last_look >= self._poll
            try:
                await self.relay_fresh()
                if self._look or polling:
                    older_than = 0.0 if self._look else self._poll
                    self._look = False
                    last_look = loop.time()
                    await self.relay_once(older_than=older_than)
            except (asyncio.CancelledError, KeyboardInterrupt):
                raise
            except Exception as exc:  # the broker or database is away: back off, try again
                log.warning("outbox.relay_error", error=type(exc).__name__)
                self._look = True
                # Not a whole poll: after a restart the pool's first connections may be
                # ones the server already closed, and the next try opens new ones.
                await asyncio.sleep(min(self._poll, ERROR_BACKOFF_SECONDS))
            if self._fresh or self._look:
                continue
            if loop.time() - last_purge > 600:
                last_purge = loop.time()
                with contextlib.suppress(Exception):
                    await self.purge_published()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self._wake.wait(), timeout=max(0.0, last_look + self._poll - loop.time())
                )
