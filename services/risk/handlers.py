"""Which use case each event this service reads leads to (payload type -> handler).

Risk follows every event of shelters and funds about its cases into the timeline, and
marks a re-assessment as due after those that change her situation.
"""

from __future__ import annotations

from typing import Any

from services.risk.timeline import service as timeline
from shared.consumer import EventContext, Handlers
from shared.events import PAYLOAD_TYPES, Envelope


async def follow_case_event(ctx: EventContext, event: Envelope[Any]) -> None:
    """Into the timeline of each case it names (and a re-assessment mark where it is due)."""
    await timeline.follow(ctx.conn, event)


# Every type the other services publish, so a type added to shared/events.py later is
# followed without a change here (its summary falls back to the type's own words).
SHELTERS: Handlers = {t: follow_case_event for t in PAYLOAD_TYPES if t.TYPE.startswith("amparo.shelters.")}
FUNDS: Handlers = {t: follow_case_event for t in PAYLOAD_TYPES if t.TYPE.startswith("amparo.funds.")}
