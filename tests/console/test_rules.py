"""Pure rules of the console: the lockout back-off and the forecast drawing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.console import i18n
from services.console.accounts.service import _lock_seconds
from services.console.config import ConsoleConfig
from services.console.pages.charts import forecast_svg, run_out_days

CONFIG = ConsoleConfig(lockout_after=5, lockout_base_seconds=30, lockout_max_seconds=3600)


@given(st.integers(min_value=0, max_value=200))
def test_the_lock_grows_with_failures_and_never_exceeds_the_maximum(failures):
    lock = _lock_seconds(CONFIG, failures)
    assert 0 <= lock <= CONFIG.lockout_max_seconds
    assert (lock == 0) == (failures < CONFIG.lockout_after)
    assert _lock_seconds(CONFIG, failures + 1) >= lock


def test_the_lock_doubles_from_the_first_lockout():
    assert [_lock_seconds(CONFIG, n) for n in range(4, 9)] == [0, 30, 60, 120, 240]


@given(st.lists(st.integers(min_value=-3, max_value=40), min_size=14, max_size=14), st.integers(0, 60))
def test_the_forecast_marks_every_day_without_free_beds(frees, beds):
    start = datetime(2026, 1, 1, tzinfo=UTC)
    forecast = [
        {"day": d, "at": (start + timedelta(days=d)).isoformat(), "free": f} for d, f in enumerate(frees)
    ]
    token = i18n.current.set("es")
    try:
        svg = str(forecast_svg(forecast, beds))
    finally:
        i18n.current.reset(token)
    empty = [f for f in frees if f <= 0]
    assert svg.count('class="out" x=') == 2 * len(empty)  # a bar and a cross per run-out day
    assert len(run_out_days(forecast)) == len(empty)
    assert ("Sin camas libres desde" in svg) == bool(empty)
