"""A payee reference is shown masked: never more than its last four characters."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from services.funds.domain.payee import masked

REFERENCES = st.from_regex(r"^(?=[A-Z0-9-]*[0-9])[A-Z0-9][A-Z0-9-]{3,33}$", fullmatch=True)


@given(REFERENCES)
def test_only_the_last_four_characters_are_shown(reference):
    shown = masked(reference).lstrip("*")
    assert len(shown) <= 4 and reference.endswith(shown)
    assert masked(reference) != reference


def test_a_short_reference_is_hidden_whole():
    assert masked("A123") == "****"
    assert masked("GT82-0001-2345") == "****2345"
