"""Every request body's EXAMPLE (shown in the API documents) is a valid request."""

from __future__ import annotations

import msgspec
import pytest

from services.shelters.compromise import schemas as compromise
from services.shelters.fields import Request
from services.shelters.placements import schemas as placements
from services.shelters.registry import schemas as registry

BODIES = [
    registry.ShelterCreate,
    registry.BedBatch,
    registry.OutOfServiceCreate,
    placements.PlacementCreate,
    placements.PartyIn,
    placements.Confirm,
    placements.CheckIn,
    placements.CheckOut,
    placements.Cancel,
    compromise.Compromise,
]


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_request_body_is_listed():
    assert set(_subclasses(Request)) <= set(BODIES)


@pytest.mark.parametrize("body", BODIES, ids=lambda b: b.__name__)
def test_example_decodes_strictly(body):
    decoded = msgspec.convert(body.EXAMPLE, body, strict=True)
    # And through JSON, as a client sends it.
    assert msgspec.json.decode(msgspec.json.encode(body.EXAMPLE), type=body) == decoded
