"""The report's percentiles by property."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.funds.domain.reports import percentile

values = st.lists(st.floats(0, 10**6, allow_nan=False), min_size=1, max_size=50)


@given(values, st.floats(0, 1))
def test_a_percentile_lies_within_the_values(vs, q):
    p = percentile(vs, q)
    assert min(vs) - 1e-6 <= p <= max(vs) + 1e-6


@given(values)
def test_the_median_never_exceeds_the_p90(vs):
    assert percentile(vs, 0.5) <= percentile(vs, 0.9) + 1e-6
    assert percentile(vs, 0.0) == min(vs) and percentile(vs, 1.0) == max(vs)


def test_known_values():
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert percentile([], 0.9) is None
