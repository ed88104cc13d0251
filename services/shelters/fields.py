"""Field types and the request base that the aggregates' schemas share."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from litestar.params import QueryParameter

from shared.places import REGION_PATTERN

StayDays = Annotated[int, msgspec.Meta(ge=1, le=365)]
Aware = Annotated[datetime, msgspec.Meta(tz=True)]
RegionQ = Annotated[
    str | None,
    QueryParameter(pattern=REGION_PATTERN, default=None, description="ISO 3166-2 code, e.g. GT-17"),
]


class Request(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A request body: strict, an unknown field is a 400. Each sets ``EXAMPLE``, a valid
    body in the domain's words (synthetic data), for the API documents."""
