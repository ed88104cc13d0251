"""The asyncpg pool and the migration runner.

Migrations are numbered ``NNNN_name.sql`` files. ``shared/migrations`` (outbox,
processed events) is applied to every service database before the service's own files.
Each file runs in its own transaction under an advisory lock, and its checksum is
recorded: an applied file that was edited afterwards stops the start-up loudly.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import asyncpg.transaction
import msgspec

SHARED_MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")
_MIGRATION_LOCK = 7_261_001  # advisory lock key shared by every runner

T = TypeVar("T")


class MigrationError(Exception):
    pass


async def _init_connection(conn: asyncpg.Connection) -> None:
    # jsonb comes back as str without a codec (asyncpg); msgspec is the fast path.
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename, schema="pg_catalog", encoder=_json_encode, decoder=msgspec.json.decode
        )


def _json_encode(value: Any) -> str:
    return msgspec.json.encode(value).decode()


async def _reset_connection(conn: asyncpg.Connection) -> None:
    # The default reset sends UNLISTEN/RESET ALL/CLOSE ALL/advisory unlock on every
    # release (5% of a read request). Pooled connections hold no session state here:
    # advisory locks are transaction-scoped. Only an open transaction must not travel to
    # the next user.
    if conn.is_in_transaction():
        await conn.execute("ROLLBACK")


# PostgreSQL is away (restarting, crashed, out of connections, unreachable, slow beyond
# a timeout) or a transaction lost every retry: the same work may well succeed in a
# moment. The one list: requests answer these with 503 + Retry-After (shared/problems.py),
# consumers and the relay retry them without counting (shared/consumer.py).
AWAY: tuple[type[BaseException], ...] = (
    OSError,  # refused, reset, no socket file while the server restarts
    TimeoutError,  # connect, pool acquire and command timeouts
    asyncpg.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.InterfaceError,  # the connection was closed under the query
    asyncpg.CannotConnectNowError,  # starting up, shutting down, in recovery
    asyncpg.TooManyConnectionsError,
    asyncpg.AdminShutdownError,  # 57P01: fast or immediate shutdown
    asyncpg.CrashShutdownError,  # 57P02: another backend crashed, the server restarts
    # A pooled connection handed out between the server's "terminating connection" (a
    # restart, pg_terminate_backend) and the socket's close: asyncpg refuses the query
    # ("cannot switch to state ..."), and the next acquire opens a new connection.
    asyncpg.InternalClientError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
)


def is_away(exc: BaseException) -> bool:
    return isinstance(exc, AWAY)


# How long a request waits for a connection (the pool is full, or every connection is
# being re-established after a restart) and for a new connection to open: past these it
# is a 503 the client can retry, never a hang.
ACQUIRE_TIMEOUT_SECONDS = 5.0
CONNECT_TIMEOUT_SECONDS = 5.0


class Connection(asyncpg.Connection):
    """A connection that remembers the events its transactions wrote to the outbox
    (``shared.outbox``) and how those transactions ended, so that its pool can hand the
    committed ones to the relay once the work is handed back."""

    __slots__ = ("_commit_refused", "_events_committed", "_events_pending", "_events_unsure")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._events_pending: list[Any] = []  # written in the transaction still open
        self._events_committed: list[Any] = []
        # Rows were written whose fate this connection cannot tell (a COMMIT that failed
        # midway, a transaction not opened through ``transaction()``): the relay looks.
        self._events_unsure = False
        self._commit_refused = False

    async def execute(self, query: str, *args: Any, timeout: float | None = None) -> str:
        status = await super().execute(query, *args, timeout=timeout)
        if status == "ROLLBACK" and query == "COMMIT;":
            # PostgreSQL answers the COMMIT of a transaction that failed (an error caught
            # without a savepoint) with ROLLBACK, and no error: nothing was written.
            self._commit_refused = True
        return status

    def transaction(self, *, isolation=None, readonly=False, deferrable=False):
        self._check_open()
        return _Transaction(self, isolation, readonly, deferrable)

    def note_events_written(self, written: list[Any]) -> None:
        if self._top_xact is None:
            self._events_unsure = True
        else:
            self._events_pending.extend(written)

    def take_events_written(self) -> tuple[list[Any], bool]:
        """The events committed since the last call, and whether others may have been."""
        committed, unsure = self._events_committed, self._events_unsure
        # Still pending here means the transaction is still open: the pool's reset rolls
        # it back.
        self._events_committed, self._events_pending, self._events_unsure = [], [], False
        return committed, unsure

    def _transaction_ended(self, mark: int, *, nested: bool, committed: bool, settled: bool) -> None:
        pending = self._events_pending
        if not settled:
            # The COMMIT (or ROLLBACK) itself failed: what it wrote may or may not be there.
            del pending[mark:]
            self._events_unsure = True
        elif not committed:
            del pending[mark:]  # rolled back, to its savepoint or whole
        elif not nested:
            if not self._commit_refused:
                self._events_committed.extend(pending)
            pending.clear()
            self._commit_refused = False
        # A released savepoint keeps its events for the enclosing transaction to settle.


class _Transaction(asyncpg.transaction.Transaction):
    """asyncpg's transaction, telling its connection how it ended."""

    __slots__ = ("_mark",)

    async def start(self):
        await super().start()
        pending = self._connection._events_pending
        if not self._nested:
            pending.clear()  # nothing of an earlier transaction rides on this one
            self._connection._commit_refused = False
        self._mark = len(pending)

    def _ended(self, *, committed: bool, settled: bool) -> None:
        mark = getattr(self, "_mark", None)
        # A late exit (asyncpg lets an async generator's transaction end after its
        # connection went back to the pool) must not touch the connection's next user.
        if mark is None or self._con_release_ctr != self._connection._pool_release_ctr:
            return
        self._connection._transaction_ended(mark, nested=self._nested, committed=committed, settled=settled)

    async def _settle(self, ending: Awaitable[None], *, committing: bool) -> None:
        settled = False
        try:
            await ending
            settled = True
        finally:
            self._ended(committed=settled and committing, settled=settled)

    async def __aexit__(self, extype, ex, tb):
        await self._settle(super().__aexit__(extype, ex, tb), committing=extype is None)

    async def commit(self):
        await self._settle(super().commit(), committing=True)

    async def rollback(self):
        await self._settle(super().rollback(), committing=False)


class Pool(asyncpg.Pool):
    """asyncpg's pool with a bounded wait for a connection by default (asyncpg's
    default is to wait for ever); ``pool.fetchval`` and friends go through it too.

    It hands whoever asked (``on_events_written``: the service's outbox relay) the events
    a connection's transactions committed when the connection comes back, or tells it to
    look when it cannot be sure. This replaced a NOTIFY from a trigger, which made every
    writer's commit wait for a database-wide lock (README, Benchmark)."""

    acquire_timeout: float = ACQUIRE_TIMEOUT_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._on_events_written: list[Callable[[list[Any], bool], None]] = []

    def acquire(self, *, timeout: float | None = None):
        return super().acquire(timeout=self.acquire_timeout if timeout is None else timeout)

    def on_events_written(self, hand: Callable[[list[Any], bool], None]) -> None:
        """``hand(committed, unsure)``: events known committed, and whether to look for more."""
        self._on_events_written.append(hand)

    async def release(self, connection, *, timeout: float | None = None) -> None:
        # Asked through the proxy while it still holds the connection. A proxy that lost its
        # connection (closed under it, perhaps after a commit) cannot say: the relay looks,
        # which costs one query when there was nothing.
        take = getattr(connection, "take_events_written", None)
        committed, unsure = take() if take is not None else ([], True)
        try:
            await super().release(connection, timeout=timeout)
        finally:
            if committed or unsure:
                for hand in self._on_events_written:
                    hand(committed, unsure)


async def create_pool(
    dsn: str,
    *,
    min_size: int = 2,
    max_size: int = 10,
    command_timeout: float = 30.0,
    acquire_timeout: float = ACQUIRE_TIMEOUT_SECONDS,
) -> Pool:
    """A pool that survives PostgreSQL restarts by itself: a connection broken by the
    restart is closed on its first error and replaced by a new one at the next acquire."""
    pool = Pool(
        dsn,
        init_size=None,
        min_size=min_size,
        max_size=max_size,
        max_queries=50_000,
        max_inactive_connection_lifetime=300.0,
        init=_init_connection,
        reset=_reset_connection,
        loop=None,
        connection_class=Connection,
        record_class=asyncpg.Record,
        command_timeout=command_timeout,
        timeout=CONNECT_TIMEOUT_SECONDS,
    )
    pool.acquire_timeout = acquire_timeout
    await pool
    return pool


async def connect(dsn: str, **kwargs: Any) -> asyncpg.Connection:
    conn = await asyncpg.connect(dsn, **kwargs)
    await _init_connection(conn)
    return conn


async def ensure_database(server_dsn: str, name: str, *, template: str | None = None) -> bool:
    """Create database ``name`` if missing; True when it was created."""
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"bad database name {name!r}")
    conn = await asyncpg.connect(server_dsn)
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists:
            return False
        suffix = f" TEMPLATE {template}" if template else ""
        try:
            await conn.execute(f'CREATE DATABASE "{name}"{suffix}')
        except asyncpg.DuplicateDatabaseError:
            return False
        return True
    finally:
        await conn.close()


def migration_files(*directories: Path) -> list[tuple[str, str, str]]:
    """(component, filename, sql) in application order."""
    files: list[tuple[str, str, str]] = []
    for directory in directories:
        component = "shared" if directory == SHARED_MIGRATIONS else directory.parent.name
        names = sorted(p.name for p in directory.glob("*.sql"))
        for name in names:
            if not _MIGRATION_NAME.match(name):
                raise MigrationError(f"{directory}/{name}: migration files are named NNNN_name.sql")
            files.append((component, name, (directory / name).read_text(encoding="utf-8")))
    return files


async def migrate(dsn: str, directory: Path) -> list[str]:
    """Apply shared then ``directory`` migrations; returns the names applied now."""
    conn = await asyncpg.connect(dsn)
    applied_now: list[str] = []
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        await conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   component text NOT NULL,
                   name text NOT NULL,
                   checksum text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now(),
                   PRIMARY KEY (component, name))"""
        )
        rows = await conn.fetch("SELECT component, name, checksum FROM schema_migrations")
        done = {(r["component"], r["name"]): r["checksum"] for r in rows}
        for component, name, sql in migration_files(SHARED_MIGRATIONS, directory):
            checksum = hashlib.sha256(sql.encode()).hexdigest()
            previous = done.get((component, name))
            if previous is not None:
                if previous != checksum:
                    raise MigrationError(
                        f"{component}/{name} changed after it was applied; add a new migration instead"
                    )
                continue
            async with conn.transaction():
                await conn.execute(sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (component, name, checksum) VALUES ($1, $2, $3)",
                    component,
                    name,
                    checksum,
                )
            applied_now.append(f"{component}/{name}")
        return applied_now
    finally:
        try:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
        finally:
            await conn.close()


RETRYABLE_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock


async def retry_transaction(
    pool: asyncpg.Pool,
    work: Callable[[asyncpg.Connection], Awaitable[T]],
    *,
    isolation: str = "read_committed",
    attempts: int = 5,
) -> T:
    """Run ``work(conn)`` in a transaction, retrying serialization failures and deadlocks."""
    for attempt in range(1, attempts + 1):
        try:
            async with pool.acquire() as conn, conn.transaction(isolation=isolation):
                return await work(conn)
        except asyncpg.PostgresError as exc:
            if getattr(exc, "sqlstate", None) not in RETRYABLE_SQLSTATES or attempt == attempts:
                raise
            await asyncio.sleep(0.005 * 2**attempt)
    raise AssertionError("unreachable")
