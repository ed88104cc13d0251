"""The merged audit log's pages: three logs (risk, shelters, the console), each asked for
its newest rows before a time, merged and cut, then continued before the last row's time,
give every row exactly once, newest first (rows have distinct times: every log stamps
with clock_timestamp())."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.console.pages.admin_audit import cursor, newest

T0 = datetime(2026, 11, 21, tzinfo=UTC)


def _ask(log: list[dict], until: datetime | None, limit: int) -> list[dict]:
    """What a log answers: its ``limit`` newest rows before ``until`` (the SQL's rule)."""
    rows = [r for r in log if until is None or r["at"] < until]
    return sorted(rows, key=lambda r: r["at"], reverse=True)[:limit]


@given(
    stamps=st.lists(st.integers(0, 10**9), unique=True, max_size=120),
    sides=st.lists(st.integers(0, 2), min_size=120, max_size=120),
    limit=st.integers(1, 12),
)
def test_pages_by_time_give_every_row_once_newest_first(stamps, sides, limit):
    rows = [{"at": T0 + timedelta(microseconds=s), "n": s} for s in stamps]
    logs = [[r for r, side in zip(rows, sides, strict=False) if side == n] for n in range(3)]
    seen: list[dict] = []
    until = None
    for _ in range(len(rows) + 2):
        page = newest([r for log in logs for r in _ask(log, until, limit)], limit)
        seen += page
        until = cursor(page, limit)
        if until is None:
            break
    assert [r["n"] for r in seen] == sorted(stamps, reverse=True)
