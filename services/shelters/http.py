"""What the routes of every aggregate share: who may call them, the country filter."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

from shared.auth import requires

STAFF = requires("network_staff")
COORDINATOR = requires("shelter_coordinator")
CountryQ = Annotated[
    str | None, Parameter(pattern=r"^[A-Z]{2}$", description="ISO country code", default=None)
]
