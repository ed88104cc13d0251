"""What the routes of every aggregate share: who may call them, the country filter."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

from shared.auth import requires
from shared.places import COUNTRY_PATTERN

STAFF = requires("network_staff")
COORDINATOR = requires("shelter_coordinator")
CountryQ = Annotated[
    str | None, Parameter(pattern=COUNTRY_PATTERN, description="ISO 3166-1 alpha-2, e.g. GT", default=None)
]
