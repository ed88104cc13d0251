"""Properties of dead letters that need no server: a replay keeps every original header but
the message id, whose new value JetStream's duplicate window never confuses with the
original or with another letter's replay; a discard's reason survives the header."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared import deadletters
from shared.errors import BadInput

NAMES = st.from_regex(r"\A[A-Z][A-Za-z0-9-]{0,20}\Z").filter(lambda n: not n.startswith("Nats-"))
VALUES = st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=30)
ONE_LINE = st.text(
    st.characters(min_codepoint=32, exclude_categories=("Cs",)), min_size=1, max_size=500
).filter(lambda t: t.strip() and not any(ord(c) < 32 or c == "\x7f" for c in t))


def _raw(seq: int, original: dict[str, str], event_id: uuid.UUID) -> SimpleNamespace:
    headers = {
        "Amparo-Original-Subject": "amparo.risk.case.opened",
        deadletters.ORIGINAL_HEADERS: json.dumps(original),
        "Nats-Msg-Id": f"shelters-risk:{seq}",
    }
    data = json.dumps({"id": str(event_id), "type": "amparo.risk.case.opened"}).encode()
    return SimpleNamespace(
        seq=seq, subject="deadletter.RISK.shelters-risk", headers=headers, data=data, time=datetime.now(UTC)
    )


@given(
    original=st.dictionaries(NAMES, VALUES, max_size=5),
    seqs=st.lists(st.integers(1, 2**40), min_size=2, max_size=5, unique=True),
)
def test_a_replay_keeps_the_original_headers_under_an_id_of_its_own(original, seqs):
    event_id = uuid.uuid4()
    original = {**original, "Nats-Msg-Id": str(event_id)}
    ids = set()
    for seq in seqs:
        headers = deadletters.replay_headers(_raw(seq, original, event_id))
        assert {k: v for k, v in headers.items() if k not in ("Nats-Msg-Id", deadletters.REPLAY_OF)} == {
            k: v for k, v in original.items() if k != "Nats-Msg-Id"
        }
        assert headers[deadletters.REPLAY_OF] == str(seq)
        assert headers["Nats-Msg-Id"] != str(event_id) and headers["Nats-Msg-Id"].startswith(str(event_id))
        ids.add(headers["Nats-Msg-Id"])
    assert len(ids) == len(seqs)  # two letters' replays are never taken for duplicates


@given(seq=st.integers(1, 2**40))
def test_a_letter_from_before_the_headers_were_kept_replays_under_its_event_id(seq):
    event_id = uuid.uuid4()
    raw = _raw(seq, {}, event_id)
    del raw.headers[deadletters.ORIGINAL_HEADERS]
    assert deadletters.replay_headers(raw)["Nats-Msg-Id"] == f"{event_id}:replay:{seq}"


@given(reason=ONE_LINE)
def test_a_discard_reason_survives_the_header_it_travels_in(reason):
    kept = deadletters.check_reason(reason)
    encoded = quote(kept, safe=" ")
    assert encoded.isascii() and "\r" not in encoded and "\n" not in encoded
    raw = SimpleNamespace(
        seq=1,
        subject="deadletter.discarded.RISK.shelters-risk",
        headers={
            "Amparo-Discard-Reason": encoded,
            "Amparo-Discarded-By": quote("ána@example.org", safe="@ "),
        },
        data=b"",
        time=datetime.now(UTC),
    )
    letter = deadletters.letter_of(raw)
    assert letter.discard_reason == kept and letter.discarded_by == "ána@example.org"
    assert (letter.stream, letter.consumer) == ("RISK", "shelters-risk")


@given(reason=st.text(max_size=600))
def test_a_reason_is_one_line_of_at_most_500_characters_or_refused(reason):
    stripped = reason.strip()
    fine = 0 < len(stripped) <= deadletters.REASON_MAX and not any(ord(c) < 32 for c in stripped)
    if fine:
        assert deadletters.check_reason(reason) == stripped
    else:
        with pytest.raises(BadInput):
            deadletters.check_reason(reason)
