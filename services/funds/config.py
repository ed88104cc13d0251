"""The funds service's own settings (``AMPARO_<FIELD>`` variables)."""

from __future__ import annotations

from typing import Annotated

import msgspec

Hours = Annotated[float, msgspec.Meta(gt=0)]


class FundsConfig(msgspec.Struct, kw_only=True, frozen=True):
    # When an undecided application is overdue (a fund's policy may say otherwise).
    decision_hours: Hours = 72.0
    emergency_decision_hours: Hours = 24.0
    # How long an emergency approval waits for the committee's ratification.
    ratification_hours: Hours = 48.0
