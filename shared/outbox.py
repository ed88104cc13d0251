"""Transactional outbox: events are rows written with the state change, then relayed.

``enqueue`` runs inside the caller's transaction, so a rolled-back change publishes
nothing. ``OutboxRelay`` publishes pending rows with ``Nats-Msg-Id`` = event id and
marks them sent only after JetStream acknowledged them; if it dies in between, the row
is published again and JetStream (or the consumer's processed-event row) drops the copy.
Pending rows are claimed with ``FOR UPDATE SKIP LOCKED``, never by tailing the id:
sequence order is not commit order.
Writers NOTIFY the relay only while no relay is at work (a NOTIFY serializes commits):
see shared/migrations/0006 and ``_go_to_work``/``_settle``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import asyncpg

from shared.case_order import CASE_SEQ_HEADER
from shared.consumer import raise_if_cancelling
from shared.events import Envelope, encode_event
from shared.logging import get_logger

log = get_logger(__name__)

CHANNEL = "amparo_outbox"  # also named in shared/migrations/0002_outbox_notify_trigger.sql

# While a relay is at work (advisory lock AT_WORK held) writers do not NOTIFY: a NOTIFY
# serializes commits. Before resting, the relay passes SETTLED (waits for every writer
# that skipped its NOTIFY) and looks once more. See shared/migrations/0006.
_AT_WORK = "SET lock_timeout = '100ms'; SELECT pg_advisory_lock(7261002, 1)"
_OFF_WORK = "SELECT pg_advisory_unlock(7261002, 1)"
_SETTLED = (
    "SET lock_timeout = '100ms'; SELECT pg_advisory_lock(7261002, 2); SELECT pg_advisory_unlock(7261002, 2)"
)


async def enqueue(conn: asyncpg.Connection, *events: Envelope) -> None:
    """Write events in the caller's transaction (which must be open)."""
    if not events:
        return
    if not conn.is_in_transaction():
        raise RuntimeError("outbox.enqueue must run inside the transaction of the state change")
    # One statement for any number of events: it numbers each case's events (the
    # case_sequences upsert holds the case's row lock until commit, so the numbers follow
    # commit order) and inserts the rows; its trigger (shared migration 0002) sends the
    # NOTIFY that wakes the relay, at commit and only if the transaction commits.
    await conn.execute(
        _ENQUEUE,
        [e.id for e in events],
        [e.subject for e in events],
        [encode_event(e) for e in events],
        [e.correlation_id for e in events],
        [e.case_id for e in events],
    )


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
"""


def _headers(row) -> dict[str, str]:
    headers = {"Nats-Msg-Id": str(row["id"])}
    if row["case_seq"] is not None:
        headers[CASE_SEQ_HEADER] = str(row["case_seq"])
    return headers


class OutboxRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        js,
        *,
        listen_dsn: str | None = None,
        batch_size: int = 256,
        poll_seconds: float = 1.0,
        publish_timeout: float = 5.0,
        retention_days: int = 30,
        after_publish: Callable[[list], Awaitable[None]] | None = None,
        work_from: int = 16,
    ) -> None:
        self._pool = pool
        self._js = js
        self._listen_dsn = listen_dsn
        self._batch = batch_size
        self._poll = poll_seconds
        self._timeout = publish_timeout
        self._retention_days = retention_days
        # Fault-injection point for tests: runs after the acks, before rows are marked.
        self._after_publish = after_publish
        self._wake = asyncio.Event()
        self._listen_failed = False
        # A batch this large means writers are busy: stop their NOTIFYs until batches shrink.
        self._work_from = work_from
        self._at_work = False  # holds the AT_WORK lock
        self._unsettled = False  # writers may have skipped a NOTIFY since the last SETTLED
        self.published = 0

    async def relay_once(self) -> int:
        """Publish one batch of pending rows; returns how many were marked sent."""
        async with self._pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """SELECT id, subject, payload, case_seq FROM outbox
                   WHERE published_at IS NULL
                   ORDER BY created_at, case_seq
                   LIMIT $1
                   FOR UPDATE SKIP LOCKED""",
                self._batch,
            )
            if not rows:
                return 0
            futures = [
                await self._js.publish_async(row["subject"], bytes(row["payload"]), headers=_headers(row))
                for row in rows
            ]
            results = await asyncio.wait_for(
                asyncio.gather(*futures, return_exceptions=True), timeout=self._timeout
            )
            if self._after_publish is not None:
                await self._after_publish(rows)
            sent = [
                row["id"] for row, res in zip(rows, results, strict=True) if not isinstance(res, Exception)
            ]
            failed = [
                (row["id"], type(res).__name__)
                for row, res in zip(rows, results, strict=True)
                if isinstance(res, Exception)
            ]
            if sent:
                await conn.execute(
                    "UPDATE outbox SET published_at = clock_timestamp(), attempts = attempts + 1 "
                    "WHERE id = ANY($1::uuid[])",
                    sent,
                )
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
        """Relay until cancelled: woken by NOTIFY, polling as a fallback."""
        listener: asyncpg.Connection | None = None
        last_purge = 0.0
        loop = asyncio.get_running_loop()
        try:
            while True:
                raise_if_cancelling()
                listener = await self._keep_listening(listener)
                self._wake.clear()
                try:
                    count = await self.relay_once()
                except (asyncio.CancelledError, KeyboardInterrupt):
                    raise
                except Exception as exc:  # the broker or database is away: back off, try again
                    log.warning("outbox.relay_error", error=type(exc).__name__)
                    count = 0
                    await asyncio.sleep(self._poll)
                if count >= self._work_from and listener is not None:
                    # Busy writers: at work they stop notifying, so look again at once.
                    await self._go_to_work(listener)
                    continue
                if count >= self._batch:
                    continue
                if self._unsettled:
                    await self._settle(listener)
                    continue  # look once more: a writer that skipped its NOTIFY has ended
                if loop.time() - last_purge > 600:
                    last_purge = loop.time()
                    with contextlib.suppress(Exception):
                        await self.purge_published()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
        finally:
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.close(timeout=2)

    async def _go_to_work(self, listener: asyncpg.Connection) -> None:
        self._unsettled = True  # even waiting for the lock makes writers skip their NOTIFY
        if self._at_work:
            return
        try:
            await listener.execute(_AT_WORK)
            self._at_work = True
        except asyncpg.LockNotAvailableError:  # another relay is at work: work without the lock
            pass
        except Exception as exc:
            log.warning("outbox.work_lock_failed", error=type(exc).__name__)

    async def _settle(self, listener: asyncpg.Connection | None) -> None:
        if listener is None or listener.is_closed():  # its session's locks went with it
            self._at_work = self._unsettled = False
            return
        try:
            if self._at_work:
                self._at_work = False
                await listener.execute(_OFF_WORK)
            await listener.execute(_SETTLED)
            self._unsettled = False
        except asyncpg.LockNotAvailableError:  # a long transaction: try again after a batch
            pass
        except Exception as exc:  # the session is gone, and its locks with it
            log.warning("outbox.settle_failed", error=type(exc).__name__)
            self._unsettled = False

    async def _keep_listening(self, listener: asyncpg.Connection | None) -> asyncpg.Connection | None:
        """The LISTEN connection, opened again whenever it was lost (a database restart
        closes it; without it every event would wait for the poll). Tried once per turn
        of the loop, so at most once a poll period while the database is away."""
        if not self._listen_dsn or (listener is not None and not listener.is_closed()):
            return listener
        if listener is not None:
            listener.terminate()
            log.info("outbox.listen_lost")
            self._at_work = False  # its session's advisory locks went with it
        try:
            # LISTEN needs its own connection: a pooled one loses listeners on release.
            conn = await asyncpg.connect(self._listen_dsn, timeout=5)
        except Exception as exc:
            if listener is None and not self._listen_failed:
                log.warning("outbox.listen_unavailable", error=type(exc).__name__)
            self._listen_failed = True
            return None
        try:
            await conn.add_listener(CHANNEL, lambda *_: self._wake.set())
            # Lost again (the server goes away): wake the loop, which opens a new one.
            conn.add_termination_listener(lambda *_: self._wake.set())
        except Exception as exc:
            log.warning("outbox.listen_unavailable", error=type(exc).__name__)
            conn.terminate()
            return None
        if self._listen_failed:
            log.info("outbox.listening_again")
        self._listen_failed = False
        # Rows committed while nobody listened sent no wake-up that reached us.
        self._wake.set()
        return conn
