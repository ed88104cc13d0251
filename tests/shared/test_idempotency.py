"""The fingerprint that tells a retry from another request under the same key."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from shared import idempotency
from shared.auth import Principal

ANA = Principal(sub="ana", roles=frozenset({"risk_analyst"}), countries=frozenset({"GT"}))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


@given(st.lists(json_values, min_size=1, max_size=3), st.lists(json_values, min_size=1, max_size=3))
def test_the_same_request_has_the_same_fingerprint_and_another_one_another(a, b):
    first = idempotency.request("openCase", ANA, "k", *a)
    again = idempotency.request("openCase", ANA, "k", *a)
    other = idempotency.request("openCase", ANA, "k", *b)
    assert first.fingerprint == again.fingerprint
    # Parts are separated: ("ab",) and ("a", "b") are different requests.
    assert (first.fingerprint == other.fingerprint) == (
        [idempotency.msgspec.json.encode(x) for x in a] == [idempotency.msgspec.json.encode(x) for x in b]
    )


def test_no_key_no_request():
    assert idempotency.request("openCase", ANA, None, {"a": 1}) is None
