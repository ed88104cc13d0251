"""Shelters' own numbers for /metrics (``shared.metrics.ScrapeGauge``), read at scrape time."""

from __future__ import annotations

from shared.metrics import ScrapeGauge


async def _holds_expired(conn) -> float:
    return await conn.fetchval(
        "SELECT count(*) FROM placements WHERE status = 'expired' AND ended_at > now() - interval '24 hours'"
    )


async def _holds_past_expiry(conn) -> float:
    # Held beyond their expiry: the expiry job is behind (it runs every 30 s).
    return await conn.fetchval(
        "SELECT count(*) FROM placements WHERE status = 'held' AND hold_expires_at < now()"
    )


GAUGES = [
    ScrapeGauge(
        "amparo_shelters_holds_expired",
        "Holds that expired unconfirmed in the last 24 hours (their beds went back to the waitlist)",
        _holds_expired,
    ),
    ScrapeGauge(
        "amparo_shelters_holds_past_expiry",
        "Holds still held after their expiry (the expiry job is behind)",
        _holds_past_expiry,
    ),
]
