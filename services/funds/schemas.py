"""Wire types every funds body shares (each aggregate's ``schemas.py`` holds its own bodies).

Money on the wire is integer minor units (cents, centavos) plus the ISO 4217 currency
of the fund; the currency is stated once per object, never mixed inside one.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import QueryParameter

from shared.validation import END

# Minor units; at most 10^12 keeps every sum far inside bigint.
Amount = Annotated[int, msgspec.Meta(gt=0, le=1_000_000_000_000, description="integer minor units, > 0")]
ReasonCode = Annotated[str, msgspec.Meta(pattern=r"^[a-z][a-z0-9_]{1,39}" + END, description="a reason code")]


class Request(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """Base of every request body: unknown fields are refused, not ignored."""


# Litestar checks a query parameter by its own constraints, not the Meta inside Country.
CountryQuery = Annotated[
    str | None, QueryParameter(pattern=r"^[A-Z]{2}" + END, description="ISO 3166-1 alpha-2 filter, e.g. GT")
]
