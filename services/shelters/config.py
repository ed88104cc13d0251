"""The shelters service's own settings (``AMPARO_<FIELD>`` variables)."""

from __future__ import annotations

from typing import Annotated

import msgspec


class SheltersConfig(msgspec.Struct, kw_only=True, frozen=True):
    # How long an unconfirmed hold keeps its beds.
    hold_hours: Annotated[float, msgspec.Meta(gt=0)] = 4.0
