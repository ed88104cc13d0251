"""The shares of a regional report (domain/statistics.py)."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from services.risk.domain.statistics import share


@given(total=st.integers(0, 10**6), data=st.data(), per=st.sampled_from([100, 10_000]))
def test_a_share_is_the_exact_fraction_rounded_half_up(total, data, per):
    part = data.draw(st.integers(0, total))
    got = share(part, total, per)
    if total == 0:
        assert got == 0
        return
    exact = Fraction(part * per, total)
    assert exact - Fraction(1, 2) < got <= exact + Fraction(1, 2)
    assert 0 <= got <= per


def test_examples():
    assert share(2, 3, 100) == 67 and share(2, 3, 10_000) == 6667
    assert share(1, 2, 100) == 50 and share(1, 8, 100) == 13  # 12.5 rounds up
    assert share(0, 0, 100) == 0
