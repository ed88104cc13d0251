"""Funds' own numbers for /metrics (``shared.metrics.ScrapeGauge``), read at scrape time."""

from __future__ import annotations

from shared.metrics import ScrapeGauge


async def _overdue(conn) -> dict[tuple[str, ...], float]:
    rows = await conn.fetch(
        "SELECT track, count(*) AS n FROM applications "
        "WHERE status IN ('pending', 'info_requested') AND due_at < now() GROUP BY track"
    )
    found = {(track,): 0.0 for track in ("emergency", "ordinary")}
    found.update({(r["track"],): float(r["n"]) for r in rows})
    return found


GAUGES = [
    ScrapeGauge(
        "amparo_funds_applications_overdue",
        "Undecided applications past their decision time, by track",
        _overdue,
        labels=("track",),
    )
]
