"""The operators' routes every service has (``shared.bootstrap`` adds them), for the role
``admin``: the service's state (``GET /status``) and its own consumers' dead letters (list,
show, replay, discard with a reason).

A replay here applies the letter through the service's own consumer, in process
(``Consumer.apply_dead_letter``: the claim and the handler in one transaction, so at most
once), then deletes the letter: the service's NATS user may publish only its own subjects,
and letting shelters re-publish risk's events would let it forge them. The operator's
``amparo deadletters replay`` re-publishes to the original subject instead
(``shared.deadletters``). A handler that fails again is a 409 and the letter stays.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

import msgspec
from litestar import get, post
from litestar.params import JSONBody, PathParameter, QueryParameter

from shared import deadletters
from shared.auth import requires
from shared.deadletters import DeadLetter, LetterDetail
from shared.errors import Conflict, NotFound, Unavailable
from shared.http import Caller, Rt
from shared.logging import get_logger
from shared.pagination import Limit, Offset, Page
from shared.status import ServiceStatus, service_status
from shared.validation import END

log = get_logger(__name__)

ADMIN = requires("admin")
Seq = Annotated[
    int, PathParameter(ge=1, le=2**53, description="the letter's sequence in the DEADLETTER stream")
]


class Discard(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Why the letter is dropped: kept with who and when as its record (never personal data)."""

    EXAMPLE: ClassVar[dict] = {"reason": "the case was closed by hand; the event is obsolete"}

    reason: Annotated[
        str, msgspec.Meta(min_length=1, max_length=deadletters.REASON_MAX, pattern=r"^[^\x00-\x1f]*" + END)
    ]


class Replayed(msgspec.Struct, kw_only=True, frozen=True):
    letter: DeadLetter
    # False: this consumer had applied the event already (the letter is removed all the same).
    applied: bool


def _broker(rt):
    if rt.js is None or rt.nc is None or not rt.nc.is_connected:
        raise Unavailable("the message broker is unreachable", code="broker.unavailable")
    return rt.js


def _own(rt) -> list[str]:
    return [c.durable for c in rt.consumers]


@get("/status", operation_id="getStatus", guards=[ADMIN], tags=["operations"])
async def status(rt: Rt) -> ServiceStatus:
    """The service's state: database and broker, outbox backlog, each consumer's lag, dead letters."""
    return await service_status(rt)


@get("/deadletters", operation_id="listDeadLetters", guards=[ADMIN], tags=["operations"])
async def list_letters(
    rt: Rt,
    discarded: Annotated[bool, QueryParameter(description="the discarded records instead")] = False,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[DeadLetter]:
    """This service's consumers' dead letters, oldest first (or the discarded ones, with who and why)."""
    items, total = await deadletters.letters(
        _broker(rt), _own(rt), discarded=discarded, limit=limit, offset=offset
    )
    return Page(items=items, total=total, limit=limit, offset=offset)


@get("/deadletters/{seq:int}", operation_id="getDeadLetter", guards=[ADMIN], tags=["operations"])
async def show_letter(rt: Rt, seq: Seq) -> LetterDetail:
    """One dead letter with its event (events carry no personal data)."""
    return await deadletters.show(_broker(rt), seq, _own(rt))


@post(
    "/deadletters/{seq:int}/replay",
    operation_id="replayDeadLetter",
    guards=[ADMIN],
    tags=["operations"],
    status_code=200,
)
async def replay_letter(rt: Rt, seq: Seq) -> Replayed:
    """Apply the letter's event now through its consumer (at most once), then remove the letter."""
    js = _broker(rt)
    raw = await deadletters.take(js, seq, _own(rt))
    letter = deadletters.letter_of(raw)
    consumer = next((c for c in rt.consumers if c.durable == letter.consumer), None)
    if consumer is None:
        raise NotFound("no such dead letter", code="deadletter.not_found")
    try:
        applied = await consumer.apply_dead_letter(raw.data or b"")
    except Exception as exc:
        log.warning("deadletter.replay_failed", consumer=letter.consumer, seq=seq, error=type(exc).__name__)
        raise Conflict(
            f"the event still fails ({type(exc).__name__}); the letter stays", code="deadletter.still_failing"
        ) from None
    await deadletters.delete(js, seq)
    log.info("deadletter.replayed", consumer=letter.consumer, seq=seq, applied=applied)
    return Replayed(letter=letter, applied=applied)


@post(
    "/deadletters/{seq:int}/discard",
    operation_id="discardDeadLetter",
    guards=[ADMIN],
    tags=["operations"],
    status_code=200,
)
async def discard_letter(rt: Rt, principal: Caller, seq: Seq, data: JSONBody[Discard]) -> DeadLetter:
    """Drop the letter; it is kept as a discarded record with who, when and the reason given."""
    letter = await deadletters.discard(
        _broker(rt), seq, actor=principal.sub, reason=data.reason, consumers=_own(rt)
    )
    log.info("deadletter.discarded", consumer=letter.consumer, seq=seq)
    return letter


ROUTES = [status, list_letters, show_letter, replay_letter, discard_letter]
