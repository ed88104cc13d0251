"""Dead letters: what a consumer gave up on, and the operator's list, show, replay, discard.

A consumer that fails an event ``max_deliver`` times copies it to the ``DEADLETTER`` stream
under ``deadletter.<STREAM>.<consumer>`` (``shared.consumer``), with the facts an operator
needs (stream, stream sequence, deliveries, error *class*) and the original message's own
headers (``Amparo-Original-Headers``, JSON), so it can be sent again exactly as it was.

- **replay** (``replay``): re-publish the original body to its original subject with its
  original headers, then delete the letter. The original ``Nats-Msg-Id`` is the event id,
  and JetStream drops a second message with the same id inside the stream's duplicate
  window (10 minutes): a replay would vanish silently. So a replay carries
  ``Nats-Msg-Id = <event id>:replay:<letter seq>`` (a second replay of the same letter *is*
  dropped inside the window, which is what an operator who clicks twice wants) and
  ``Amparo-Replay-Of: <letter seq>``. The event was never processed by the consumer that
  failed it (its effect rolled back), so that consumer applies it; every other consumer of
  the stream finds its processed-event row and does nothing. The case's order was passed
  over when it was dead-lettered, so the replay is not held back. Re-publishing needs a NATS
  user allowed to publish the original subject: the operator's (``amparo deadletters``).
  A service's own admin route applies its own letter in process instead
  (``Consumer.apply_dead_letter``), because its NATS user may publish only its own subjects.
- **discard**: the letter is moved to ``deadletter.discarded.<STREAM>.<consumer>`` with who
  discarded it, when, and why (a reason is required), then deleted: the discarded record is
  the audit trail and keeps the body for a later look.

Events carry no personal data (``shared.events``), so neither do letters; the reason is
an operator's words about a failure and must not hold any either (documented at the route).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from datetime import datetime
from urllib.parse import quote, unquote

import msgspec
from nats.js.errors import NotFoundError as NatsNotFound

from shared.errors import BadInput, NotFound

STREAM = "DEADLETTER"
LETTERS = "deadletter.*.*"  # deadletter.<STREAM>.<consumer>: waiting for an operator
DISCARDED = "deadletter.discarded.*.*"
ORIGINAL_HEADERS = "Amparo-Original-Headers"
REPLAY_OF = "Amparo-Replay-Of"
REASON_MAX = 500


class DeadLetter(msgspec.Struct, kw_only=True):
    """One dead letter, as operators see it (never the event's payload in a list)."""

    seq: int
    at: datetime
    consumer: str
    stream: str
    subject: str
    stream_seq: int | None = None
    deliveries: int | None = None
    error: str
    event_id: uuid.UUID | None = None
    event_type: str | None = None
    case_id: uuid.UUID | None = None
    discarded_by: str | None = None
    discard_reason: str | None = None


class LetterDetail(msgspec.Struct, kw_only=True):
    letter: DeadLetter
    # The event envelope as JSON (no personal data by construction), or None if it never decoded.
    event: dict | None = None


def letter_subject(stream: str, consumer: str) -> str:
    return f"deadletter.{stream}.{consumer}"


def discarded_subject(stream: str, consumer: str) -> str:
    return f"deadletter.discarded.{stream}.{consumer}"


def letter_headers(msg, *, stream: str, consumer: str, error: BaseException) -> dict[str, str]:
    """The headers of a new dead letter (``shared.consumer``): the facts, the error's class
    only (its message may quote input), and the original headers to replay with."""
    meta = msg.metadata
    return {
        "Amparo-Original-Subject": msg.subject,
        "Amparo-Stream": stream,
        "Amparo-Stream-Seq": str(meta.sequence.stream),
        "Amparo-Consumer": consumer,
        "Amparo-Deliveries": str(meta.num_delivered),
        "Amparo-Error": type(error).__name__,
        ORIGINAL_HEADERS: json.dumps(dict(msg.headers or {}), separators=(",", ":")),
        "Nats-Msg-Id": f"{consumer}:{meta.sequence.stream}",
    }


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def _envelope(data: bytes | None) -> dict | None:
    try:
        value = json.loads(data or b"")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _uuid(raw) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None


def letter_of(raw) -> DeadLetter:
    headers = raw.headers or {}
    envelope = _envelope(raw.data) or {}
    reason = headers.get("Amparo-Discard-Reason")
    # The subject names the stream and the consumer (it is what NATS permissions check).
    stream, consumer = raw.subject.split(".")[-2:]
    return DeadLetter(
        seq=raw.seq,
        at=raw.time,
        consumer=consumer,
        stream=stream,
        subject=headers.get("Amparo-Original-Subject", "?"),
        stream_seq=_int(headers.get("Amparo-Stream-Seq")),
        deliveries=_int(headers.get("Amparo-Deliveries")),
        error=headers.get("Amparo-Error", "?"),
        event_id=_uuid(envelope.get("id")),
        event_type=envelope.get("type") if isinstance(envelope.get("type"), str) else None,
        case_id=_uuid(envelope.get("case_id")),
        discarded_by=unquote(headers["Amparo-Discarded-By"]) if "Amparo-Discarded-By" in headers else None,
        discard_reason=unquote(reason) if reason is not None else None,
    )


def _allowed(subject: str, consumers: Iterable[str] | None) -> bool:
    return consumers is None or subject.rsplit(".", 1)[-1] in set(consumers)


async def count(js, consumers: Iterable[str] | None = None, *, discarded: bool = False) -> int:
    """Letters waiting (or discarded), of these consumers only when given."""
    try:
        info = await js.stream_info(STREAM, subjects_filter=DISCARDED if discarded else LETTERS)
    except NatsNotFound:
        return 0
    wanted = None if consumers is None else set(consumers)
    subjects = info.state.subjects or {}
    return sum(n for s, n in subjects.items() if wanted is None or s.rsplit(".", 1)[-1] in wanted)


async def letters(
    js,
    consumers: Iterable[str] | None = None,
    *,
    discarded: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[DeadLetter], int]:
    """Letters oldest first (a page of them) and how many there are. An empty or missing
    stream is an empty list (its first sequence is 0: there is no message 0 to ask for)."""
    consumers = None if consumers is None else list(consumers)
    total = await count(js, consumers, discarded=discarded)
    if total == 0:
        return [], 0
    found: list[DeadLetter] = []
    seq, skipped = 1, 0
    while len(found) < limit:
        try:
            raw = await js.get_msg(STREAM, seq=seq, subject=DISCARDED if discarded else LETTERS, next=True)
        except NatsNotFound:
            break
        seq = raw.seq + 1
        if not _allowed(raw.subject, consumers):
            continue
        if skipped < offset:
            skipped += 1
            continue
        found.append(letter_of(raw))
    return found, total


async def _raw(js, seq: int, consumers: Iterable[str] | None):
    """A waiting letter by its sequence in the DEADLETTER stream; another consumer's letter
    (or a discarded record) answers exactly like none."""
    try:
        raw = await js.get_msg(STREAM, seq)
    except NatsNotFound:
        raw = None
    if raw is None or raw.subject.startswith("deadletter.discarded.") or not _allowed(raw.subject, consumers):
        raise NotFound("no such dead letter", code="deadletter.not_found")
    return raw


async def show(js, seq: int, consumers: Iterable[str] | None = None) -> LetterDetail:
    raw = await _raw(js, seq, consumers)
    return LetterDetail(letter=letter_of(raw), event=_envelope(raw.data))


def original_headers(raw) -> dict[str, str]:
    """The headers the original message had (a letter from before they were kept: its
    event id, which is what the relay sent as ``Nats-Msg-Id``)."""
    headers = raw.headers or {}
    try:
        kept = json.loads(headers[ORIGINAL_HEADERS])
    except (KeyError, ValueError):
        kept = {}
    if not isinstance(kept, dict):
        kept = {}
    kept = {str(k): str(v) for k, v in kept.items()}
    if "Nats-Msg-Id" not in kept:
        event_id = (_envelope(raw.data) or {}).get("id")
        kept["Nats-Msg-Id"] = str(event_id or f"letter-{raw.seq}")
    return kept


def replay_headers(raw) -> dict[str, str]:
    headers = original_headers(raw)
    headers[REPLAY_OF] = str(raw.seq)
    # Inside the duplicate window the original id would be dropped as a duplicate.
    headers["Nats-Msg-Id"] = f"{headers['Nats-Msg-Id']}:replay:{raw.seq}"
    return headers


async def replay(js, seq: int, consumers: Iterable[str] | None = None) -> DeadLetter:
    """Re-publish the letter's message to its original subject, then delete the letter."""
    raw = await _raw(js, seq, consumers)
    letter = letter_of(raw)
    if letter.subject == "?":
        raise BadInput("this dead letter does not name its original subject", code="deadletter.no_subject")
    await js.publish(letter.subject, raw.data or b"", headers=replay_headers(raw))
    await delete(js, seq)
    return letter


async def delete(js, seq: int) -> None:
    try:
        await js.delete_msg(STREAM, seq)
    except NatsNotFound:  # deleted meanwhile by someone else: the outcome is the same
        pass


def check_reason(reason: str) -> str:
    reason = reason.strip()
    if not reason or len(reason) > REASON_MAX or any(ord(c) < 32 for c in reason):
        raise BadInput(
            f"a discard needs a reason of 1 to {REASON_MAX} characters on one line", code="deadletter.reason"
        )
    return reason


async def discard(
    js, seq: int, *, actor: str, reason: str, consumers: Iterable[str] | None = None
) -> DeadLetter:
    """Move the letter to the discarded records with who and why, then delete it."""
    reason = check_reason(reason)
    raw = await _raw(js, seq, consumers)
    letter = letter_of(raw)
    headers = {k: v for k, v in (raw.headers or {}).items() if not k.startswith("Nats-")}
    headers.update(
        {
            "Amparo-Discarded-By": quote(actor, safe="@ "),
            # Headers are one line of bytes: kept percent-encoded, read back decoded.
            "Amparo-Discard-Reason": quote(reason, safe=" "),
            "Amparo-Discarded-Seq": str(seq),
            "Nats-Msg-Id": f"discarded:{seq}",
        }
    )
    await js.publish(discarded_subject(letter.stream, letter.consumer), raw.data or b"", headers=headers)
    await delete(js, seq)
    letter.discarded_by, letter.discard_reason = actor, reason
    return letter


async def take(js, seq: int, consumers: Iterable[str] | None = None):
    """The raw letter (for a service that applies its own letter in process)."""
    return await _raw(js, seq, consumers)
