"""The runner's back-off (deploy/supervision.py): a process that dies is started
again at once after a steady run, later and later (never more than 30 s) while it keeps
dying quickly."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from deploy.supervision import Backoff

# How long the process ran before each death (seconds).
RUNS = st.lists(st.floats(min_value=0.0, max_value=120.0, allow_nan=False), min_size=1, max_size=30)


def _restarts(runs: list[float]) -> list[tuple[float, float]]:
    """(how long it ran, how long its restart waited) for each death, as the loop sees it."""
    backoff, now, seen = Backoff(), 0.0, []
    for ran in runs:
        now += ran
        backoff.running(now)  # the loop saw it up until it died
        restart_at = max(now, backoff.next_try)
        assert backoff.due(restart_at)
        seen.append((ran, restart_at - now))
        backoff.attempted(restart_at)
        now = restart_at
    return seen


@given(RUNS)
def test_a_restart_waits_at_most_the_cap_and_not_at_all_after_a_steady_run(runs):
    for ran, waited in _restarts(runs):
        assert 0.0 <= waited <= Backoff.CAP_SECONDS
        if ran >= Backoff.STEADY_SECONDS:
            assert waited == 0.0


@given(st.integers(min_value=2, max_value=12))
def test_a_process_that_dies_at_once_is_restarted_later_and_later(deaths):
    waits = [waited for _, waited in _restarts([0.0] * deaths)]
    # The first death is restarted at once; then 0.5 s, 1 s, 2 s ... up to the cap.
    assert waits == [0.0] + [min(Backoff.CAP_SECONDS, 0.5 * 2**i) for i in range(deaths - 1)]
