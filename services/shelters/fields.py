"""Field types and the request base that the aggregates' schemas share."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

# PostgreSQL text cannot hold NUL; names hold no control characters at all. (The
# lengths are in the patterns too, so generated test data respects them.)
Region = Annotated[str, msgspec.Meta(min_length=1, max_length=80, pattern=r"^[^\x00-\x1f\x7f]{1,80}$")]
StayDays = Annotated[int, msgspec.Meta(ge=1, le=365)]
Aware = Annotated[datetime, msgspec.Meta(tz=True)]


class Request(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A request body: strict, an unknown field is a 400. Each sets ``EXAMPLE``, a valid
    body in the domain's words (synthetic data), for the API documents."""
