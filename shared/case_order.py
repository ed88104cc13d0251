"""Per-case order, the consumer's side (the producer's is in ``shared.outbox``).

The producer numbers each case's events (header ``Amparo-Case-Seq``). ``consumer_progress``
holds, per consumer and case, the last number applied; its rows are locked for the
batch's transaction, so two replicas never apply events of one case at the same time.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from shared.logging import get_logger

log = get_logger(__name__)

CASE_SEQ_HEADER = "Amparo-Case-Seq"  # written by shared.outbox's relay


def case_seq(msg) -> int | None:
    """The producer's number for this case's event, when it has one."""
    raw = (msg.headers or {}).get(CASE_SEQ_HEADER)
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def in_turn(consumer: str, case_id: uuid.UUID, seq: int, msg, progress: dict, wait_seconds: float) -> bool:
    """May this event be applied now? Yes when it is next (or late, or repeated: the
    processed-event row decides), or when it has waited longer than ``wait_seconds`` for a
    predecessor that may never come (a stream an operator deleted)."""
    last = progress.get(case_id, 0)
    if seq <= last + 1:
        return True
    waited = (datetime.now(UTC) - msg.metadata.timestamp).total_seconds()
    if waited > wait_seconds:
        log.warning("consumer.order_gap", consumer=consumer, expected=last + 1, got=seq)
        return True
    return False


async def lock_progress(
    conn: asyncpg.Connection, consumer: str, cases: list[uuid.UUID]
) -> dict[uuid.UUID, int]:
    """Lock and read the progress rows of these cases (in case order: replicas never deadlock)."""
    if not cases:
        return {}
    rows = await conn.fetch(
        "INSERT INTO consumer_progress AS p (consumer, case_id, seq) "
        "SELECT $1, c, 0 FROM unnest($2::uuid[]) AS c "
        "ON CONFLICT (consumer, case_id) DO UPDATE SET seq = p.seq RETURNING case_id, seq",
        consumer,
        sorted(cases),
    )
    return {row["case_id"]: row["seq"] for row in rows}


async def save_progress(conn: asyncpg.Connection, consumer: str, progress: dict[uuid.UUID, int]) -> None:
    if progress:
        await conn.execute(
            "UPDATE consumer_progress AS p SET seq = GREATEST(p.seq, v.seq) "
            "FROM unnest($2::uuid[], $3::bigint[]) AS v(case_id, seq) "
            "WHERE p.consumer = $1 AND p.case_id = v.case_id",
            consumer,
            list(progress),
            list(progress.values()),
        )


async def pass_over(executor, consumer: str, case_id: uuid.UUID, seq: int) -> None:
    """A dead-lettered event's number is passed: its case goes on without it."""
    await executor.execute(
        "INSERT INTO consumer_progress AS p (consumer, case_id, seq) VALUES ($1, $2, $3) "
        "ON CONFLICT (consumer, case_id) DO UPDATE SET seq = GREATEST(p.seq, EXCLUDED.seq)",
        consumer,
        case_id,
        seq,
    )
