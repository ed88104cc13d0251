"""Amounts on the money pages: what is shown in an input is read back as the same minor
units, for every amount and currency; what is ambiguous is refused, never guessed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.console.pages.money import CURRENCIES, plain_major, to_minor
from shared.errors import BadInput


@given(st.integers(1, 10**12), st.sampled_from(CURRENCIES))
def test_an_amount_shown_in_a_form_reads_back_the_same(amount, currency):
    assert to_minor(plain_major(amount, currency), currency) == amount
    assert to_minor(plain_major(amount, currency).replace(".", ","), currency) == amount


@given(st.integers(1, 10**9), st.integers(0, 99), st.sampled_from(CURRENCIES))
def test_major_units_and_cents(units, cents, currency):
    assert to_minor(f"{units}.{cents:02d}", currency) == units * 100 + cents
    assert to_minor(str(units), currency) == units * 100


@pytest.mark.parametrize("typed", ["1,500", "1.500", "12.345", "-5", "0", "0.00", "1e3", "US$5", "5.", "abc"])
def test_ambiguous_or_wrong_amounts_are_refused(typed):
    with pytest.raises(BadInput) as refused:
        to_minor(typed, "USD")
    assert refused.value.code == "money.amount"


def test_an_empty_amount_is_none():
    assert to_minor("  ", "USD") is None
