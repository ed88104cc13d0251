"""The envelope of every event this service writes to its outbox."""

from __future__ import annotations

import uuid
from typing import Any

from shared.events import Envelope, P, new_event

PRODUCER = "shelters"


def new(payload: P, *, case_id: uuid.UUID | None, causation: Envelope[Any] | None) -> Envelope[P]:
    """``causation`` is the event that led to this one (an assessment, a compromise, the
    cancellation that freed the beds), or None when a person's request did."""
    return new_event(payload, producer=PRODUCER, case_id=case_id, causation=causation)
