"""The event envelope: one typed decoder, new events with their causation, and the wire
form. The payloads are in ``shared.payloads`` and re-exported here.

The subject of an event is its ``type`` (``amparo.<service>.<entity>.<happened>``).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

import msgspec

from shared.logging import current_context
from shared.payloads import *  # noqa: F403 (every payload type, importable from shared.events)
from shared.payloads import REGISTRY, Payload
from shared.validation import END

P = TypeVar("P", bound=Payload)


class Envelope(msgspec.Struct, Generic[P], kw_only=True, frozen=True):
    """One event. ``Envelope[AssessmentRecorded]`` is what a handler of that type receives."""

    id: uuid.UUID
    type: str
    version: int
    occurred_at: datetime
    case_id: uuid.UUID | None
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None
    producer: str
    data: P

    @property
    def subject(self) -> str:
        return self.type


class _WireEnvelope(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    type: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_.]{0,119}" + END)]
    version: int
    occurred_at: Annotated[datetime, msgspec.Meta(tz=True)]
    case_id: uuid.UUID | None
    correlation_id: uuid.UUID
    causation_id: uuid.UUID | None
    producer: Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{0,39}" + END)]
    data: msgspec.Raw


class UnknownEventType(ValueError):
    pass


_encoder = msgspec.json.Encoder()
_wire_decoder = msgspec.json.Decoder(_WireEnvelope)
_payload_decoders = {key: msgspec.json.Decoder(cls) for key, cls in REGISTRY.items()}


def new_event(
    payload: P,
    *,
    producer: str,
    case_id: uuid.UUID | None,
    causation: Envelope[Any] | None = None,
    correlation_id: uuid.UUID | None = None,
) -> Envelope[P]:
    """Build an envelope; correlation comes from the cause, the request context, or is new."""
    if correlation_id is None:
        if causation is not None:
            correlation_id = causation.correlation_id
        else:
            bound = current_context().get("correlation_id")
            correlation_id = uuid.UUID(bound) if bound else uuid.uuid4()
    return Envelope(
        id=uuid.uuid4(),
        type=payload.TYPE,
        version=payload.VERSION,
        occurred_at=datetime.now(UTC),
        case_id=case_id,
        correlation_id=correlation_id,
        causation_id=causation.id if causation is not None else None,
        producer=producer,
        data=payload,
    )


def encode_event(event: Envelope) -> bytes:
    """Encode, refusing a payload its own consumers would refuse: a Struct built in Python
    is not validated, and a free-text region must fail here, before the outbox stores it,
    not in another service's consumer."""
    decoder = _payload_decoders.get((event.type, event.version))
    if decoder is not None:
        decoder.decode(_encoder.encode(event.data))
    return _encoder.encode(event)


def decode_event(raw: bytes, *, unknown_ok: bool = False) -> Envelope[Any]:
    """Decode strictly: the payload type is chosen by (type, version).

    With ``unknown_ok`` a type this build does not know (a newer producer) comes back with
    ``data=None`` instead of raising: a consumer skips it rather than dead-lettering it.
    """
    wire = _wire_decoder.decode(raw)
    decoder = _payload_decoders.get((wire.type, wire.version))
    if decoder is None and not unknown_ok:
        raise UnknownEventType(f"unknown event type {wire.type} v{wire.version}")
    data = decoder.decode(wire.data) if decoder is not None else None
    return Envelope(
        id=wire.id,
        type=wire.type,
        version=wire.version,
        occurred_at=wire.occurred_at,
        case_id=wire.case_id,
        correlation_id=wire.correlation_id,
        causation_id=wire.causation_id,
        producer=wire.producer,
        data=data,
    )
