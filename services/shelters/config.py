"""The shelters service's own settings (``AMPARO_<FIELD>`` variables)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from services.shelters.domain import cross_border


class SheltersConfig(msgspec.Struct, kw_only=True, frozen=True):
    # How long an unconfirmed hold keeps its beds.
    hold_hours: Annotated[float, msgspec.Meta(gt=0)] = 4.0
    # The network's cross-border agreements: where staff may search for beds beyond their
    # own countries, e.g. "GT:MX,SV;HN:GT" (domain/cross_border.py). Placements and cases
    # stay scoped by the token's countries.
    cross_border: Annotated[str, msgspec.Meta(max_length=2000)] = ""

    def __post_init__(self) -> None:
        try:  # a bad value stops the service at start, naming the variable
            cross_border.agreements(self.cross_border)
        except ValueError as exc:
            raise ValueError(f"AMPARO_CROSS_BORDER: {exc}") from None

    @property
    def cross_border_agreements(self) -> cross_border.Agreements:
        return cross_border.agreements(self.cross_border)
