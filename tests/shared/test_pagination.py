"""A list's total is taken from its page only when the page tells it for certain."""

from hypothesis import given
from hypothesis import strategies as st

from shared.pagination import known_total


@given(
    rows=st.integers(min_value=0, max_value=500),
    limit=st.integers(min_value=1, max_value=200),
    offset=st.integers(min_value=0, max_value=600),
)
def test_a_known_total_is_the_true_total(rows, limit, offset):
    found = len(range(rows)[offset : offset + limit])
    total = known_total(found, limit=limit, offset=offset)
    assert total is None or total == rows
    # The usual list (one case's placements, applications) fits in its first page: no count.
    if offset == 0 and rows < limit:
        assert total == rows
    if 0 < found < limit:  # the last page, whatever the offset
        assert total == rows
