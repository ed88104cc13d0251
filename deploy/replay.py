"""`amparo replay --service S --since T`: publish a service's sent events again.

The outbox keeps sent rows for AMPARO_OUTBOX_RETENTION_DAYS (30 by default), so after a
stream is lost (deleted, or a JetStream store that lost acknowledged writes) the operator
re-creates it and publishes again every event the service produced since T. The messages
are the relay's own: the same subject, payload, ``Nats-Msg-Id`` (the event id) and
``Amparo-Case-Seq``. Repeating a replay is safe:

- within the stream's duplicate window (10 minutes) JetStream drops the copy (counted
  here as "already in the stream");
- after it, each consumer finds the event's processed-event row, acknowledges it and
  does nothing; a case's order still holds, because an event already applied is never
  "early" (its number is at most the last applied), and one not yet applied waits for
  its predecessor as it always does.

Rows still pending are left to the relay. Events older than T that a consumer never got
are not sent: a consumer waits for a missing predecessor at most ``order_wait_seconds``
(10 minutes) and then applies what follows, with a warning; so choose T before the loss.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from nats.js.errors import NotFoundError

from shared import broker
from shared.config import SERVICES, ConfigError, load_settings, with_database
from shared.outbox import message_headers  # the relay's headers: the same message

BATCH = 256
PUBLISH_TIMEOUT = 10.0


@dataclass
class ReplayResult:
    found: int = 0
    published: int = 0
    duplicates: int = 0
    failed: int = 0

    def line(self, service: str, since: datetime) -> str:
        return (
            f"{service}: {self.found} event(s) sent since {since.isoformat()}: {self.published} published, "
            f"{self.duplicates} already in the stream (dropped by JetStream), {self.failed} failed"
        )


def parse_since(text: str) -> datetime:
    """An ISO 8601 time; without an offset it is read as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("--since: give an ISO 8601 time, e.g. 2026-05-01T00:00:00Z") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def ensure_stream(js, service: str, replicas: int) -> bool:
    """Create the service's stream if it is missing (never changes an existing one);
    returns whether it was created."""
    created = False
    for name in broker.streams_of(service):
        try:
            await js.stream_info(name)
        except NotFoundError:
            await broker.ensure_streams(js, replicas=replicas, only=[name])
            created = True
    return created


async def replay(dsn: str, js, service: str, since: datetime, *, batch: int = BATCH) -> ReplayResult:
    """Publish again every sent outbox row of ``service`` created at or after ``since``, in
    the order they were written. Reads the database at ``dsn`` (the service's own)."""
    result = ReplayResult()
    conn = await asyncpg.connect(dsn)
    try:
        after: tuple[datetime, object] | None = None
        while True:
            rows = await conn.fetch(
                """SELECT id, subject, payload, case_seq, created_at FROM outbox
                   WHERE published_at IS NOT NULL AND created_at >= $1
                     AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3::uuid))
                   ORDER BY created_at, id
                   LIMIT $4""",
                since,
                after[0] if after else None,
                after[1] if after else None,
                batch,
            )
            if not rows:
                return result
            result.found += len(rows)
            futures = [
                await js.publish_async(
                    row["subject"], bytes(row["payload"]), headers=message_headers(row["id"], row["case_seq"])
                )
                for row in rows
            ]
            acks = await asyncio.wait_for(
                asyncio.gather(*futures, return_exceptions=True), timeout=PUBLISH_TIMEOUT
            )
            for ack in acks:
                if isinstance(ack, BaseException):
                    result.failed += 1
                elif ack.duplicate:
                    result.duplicates += 1
                else:
                    result.published += 1
            after = (rows[-1]["created_at"], rows[-1]["id"])
    finally:
        await conn.close()


async def _replay(service: str, since, dsn: str, nats_url: str) -> tuple[bool, object]:
    import nats

    settings = load_settings()
    options = broker.credentials(settings)
    nc = await nats.connect(
        broker.server_list(nats_url),
        name="amparo-replay",
        connect_timeout=5,
        max_reconnect_attempts=2,
        **options,
    )
    try:
        js = nc.jetstream()
        created = await ensure_stream(js, service, settings.stream_replicas)
        return created, await replay(dsn, js, service, since)
    finally:
        await nc.close()


def cmd_replay(args: argparse.Namespace) -> int:
    """`amparo replay`: connects like `amparo migrate` (deploy/cli.py), prints counts."""
    from deploy.cli import _state, operator_nats_url

    try:
        since = parse_since(args.since)
    except ValueError as exc:
        raise SystemExit(f"amparo replay: {exc}") from None
    url = (
        os.environ.get("AMPARO_DATABASE_ADMIN_URL")
        or os.environ.get("AMPARO_DATABASE_URL")
        or _state().get("database_url")
    )
    if not url:
        raise SystemExit(
            "amparo replay: set AMPARO_DATABASE_ADMIN_URL (or AMPARO_DATABASE_URL), or start the system with `make run`"
        )
    database = os.environ.get("AMPARO_DATABASE_NAME") or f"amparo_{args.service}"
    nats_url = operator_nats_url()
    if os.environ.get("AMPARO_NATS_URL"):
        where = "AMPARO_NATS_URL"
    else:
        where = "run.json" if _state().get("nats_url") else "the default nats://127.0.0.1:4222"
    source = (
        "AMPARO_DATABASE_ADMIN_URL"
        if os.environ.get("AMPARO_DATABASE_ADMIN_URL")
        else ("AMPARO_DATABASE_URL" if os.environ.get("AMPARO_DATABASE_URL") else "run.json")
    )
    print(f"replay: database {database} (server from {source}), NATS from {where}")
    try:
        created, result = asyncio.run(_replay(args.service, since, with_database(url, database), nats_url))
    except ConfigError as exc:
        raise SystemExit(f"amparo replay: {exc}") from None
    except (OSError, TimeoutError) as exc:
        raise SystemExit(f"amparo replay: cannot reach the database or NATS ({type(exc).__name__})") from None
    if created:
        print(f"{args.service}: the stream was missing and is created again")
    print(result.line(args.service, since))
    return 1 if result.failed else 0


def add_parser(sub) -> None:
    p = sub.add_parser(
        "replay", help="publish again the events a service sent since a time (after a lost stream)"
    )
    p.add_argument("--service", choices=SERVICES, required=True)
    p.add_argument("--since", required=True, help="ISO 8601 UTC time, e.g. 2026-05-01T00:00:00Z")
    p.set_defaults(func=cmd_replay)
