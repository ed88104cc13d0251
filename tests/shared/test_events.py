import uuid

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.events import (
    PAYLOAD_TYPES,
    CaseOpened,
    Envelope,
    Party,
    PlacementRequested,
    UnknownEventType,
    decode_event,
    encode_event,
    new_event,
)
from tests.strategies import from_type

OPENED = CaseOpened(
    country="GT",
    region="GT-16",
    line_of_defence="land_and_territory",
    party=Party(adults=1, children_ages=[4, 9]),
)


@pytest.mark.parametrize("payload_type", PAYLOAD_TYPES, ids=lambda t: t.TYPE)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_every_event_type_round_trips(payload_type, data):
    payload = data.draw(from_type(payload_type))
    event = new_event(payload, producer="test", case_id=data.draw(st.uuids() | st.none()))
    decoded = decode_event(encode_event(event))
    assert decoded == event
    assert type(decoded.data) is payload_type
    assert decoded.subject == payload_type.TYPE


def test_unknown_type_and_wrong_payload_are_refused():
    event = new_event(OPENED, producer="test", case_id=None)
    raw = msgspec.json.decode(encode_event(event))
    with pytest.raises(UnknownEventType):
        decode_event(msgspec.json.encode({**raw, "type": "amparo.risk.nothing.happened"}))
    with pytest.raises(msgspec.ValidationError):
        decode_event(msgspec.json.encode({**raw, "data": {"country": 12}}))


def test_new_fields_from_a_newer_producer_are_ignored():
    event = new_event(OPENED, producer="test", case_id=uuid.uuid4())
    raw = msgspec.json.decode(encode_event(event))
    raw["data"]["added_in_a_later_version"] = 1
    raw["also_new_on_the_envelope"] = True
    assert decode_event(msgspec.json.encode(raw)) == event


def test_correlation_follows_the_cause():
    first = new_event(OPENED, producer="risk", case_id=uuid.uuid4())
    second = new_event(
        PlacementRequested(placement_id=uuid.uuid4(), country="GT", party=Party()),
        producer="shelters",
        case_id=first.case_id,
        causation=first,
    )
    assert isinstance(second, Envelope)
    assert second.correlation_id == first.correlation_id
    assert second.causation_id == first.id
    assert second.occurred_at.tzinfo is not None


def test_free_text_cannot_be_encoded_into_an_event():
    """A payload built in Python is not validated by msgspec: encode_event checks it, so an
    address typed as a region fails before the outbox stores it (issue 10)."""
    address = msgspec.structs.replace(OPENED, region="GT, Calle del Río 14, Cobán")
    with pytest.raises(msgspec.ValidationError, match=r"\$\.region"):
        encode_event(new_event(address, producer="risk", case_id=uuid.uuid4()))
    needs = msgspec.structs.replace(OPENED, party=Party(accessibility_needs=["vive junto al río"]))
    with pytest.raises(msgspec.ValidationError, match="accessibility_needs"):
        encode_event(new_event(needs, producer="risk", case_id=uuid.uuid4()))
    with pytest.raises(ValueError, match="another country"):
        msgspec.structs.replace(OPENED, region="MX-CHP")
    # A case whose region was free text before codes travels with region null.
    assert (
        decode_event(
            encode_event(
                new_event(msgspec.structs.replace(OPENED, region=None), producer="risk", case_id=None)
            )
        ).data.region
        is None
    )
