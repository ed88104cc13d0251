"""The waitlist's order: the highest risk level first, then whoever has waited longest.

The database sorts by ``level_rank DESC, requested_at, id`` (``waitlist.store``); the rank
stored with each request comes from here."""

from __future__ import annotations

from shared.events import LEVELS, Level

# low = 1 ... extreme = 4: a higher rank is served first.
LEVEL_RANK: dict[str, int] = {level: i for i, level in enumerate(LEVELS, start=1)}


def rank(level: Level) -> int:
    return LEVEL_RANK[level]
