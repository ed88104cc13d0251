"""HTTP route of the audit log: thin, over ``audit.service``."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar import get
from litestar.params import QueryParameter

from services.shelters.audit import service
from services.shelters.audit.schemas import AuditEntry
from shared.auth import requires
from shared.errors import BadInput, Invalid
from shared.http import Rt
from shared.pagination import Limit, Offset, Page
from shared.validation import END

TIME_SCHEMA = {"format": "date-time"}
At = Annotated[datetime, msgspec.Meta(tz=True)]


def _moment(value: str | None, name: str) -> datetime | None:
    """An RFC 3339 time with its offset, parsed as exactly that (Litestar would also take a
    number of seconds, and a time without offset says no day for sure)."""
    if value is None:
        return None
    try:
        moment = msgspec.convert(value, At)
    except msgspec.ValidationError:
        raise BadInput(
            f"'{name}' must be an RFC 3339 time with its offset (2026-11-22T18:00:00Z)",
            code="audit.bad_time",
            extra={"field": name},
        ) from None
    if not datetime(1970, 1, 1, tzinfo=UTC) <= moment < datetime(9000, 1, 1, tzinfo=UTC):
        raise Invalid(f"'{name}' must be between 1970 and 9000", code="audit.out_of_range")
    return moment


@get("/audit", operation_id="listAudit", guards=[requires("admin")], tags=["audit"])
async def audit(
    rt: Rt,
    object_id: Annotated[uuid.UUID | None, QueryParameter(description="one shelter's reads (its id)")] = None,
    actor: Annotated[
        str | None,
        QueryParameter(max_length=200, pattern=r"^[^\x00]*" + END, description="who read (token subject)"),
    ] = None,
    action: Annotated[
        str | None,
        QueryParameter(
            max_length=100, pattern=r"^[a-z_.]+" + END, description="what was done, e.g. shelter.address.read"
        ),
    ] = None,
    since: Annotated[
        str | None,
        QueryParameter(
            max_length=40,
            schema_extra=TIME_SCHEMA,
            description="from this time (RFC 3339 with its offset, included)",
        ),
    ] = None,
    until: Annotated[
        str | None,
        QueryParameter(
            max_length=40, schema_extra=TIME_SCHEMA, description="before this time (RFC 3339 with its offset)"
        ),
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AuditEntry]:
    """Who was shown which shelter's address and contact, and when (newest first), by
    actor, action, shelter and time."""
    return await service.audit_log(
        rt,
        object_id=object_id,
        actor=actor,
        action=action,
        since=_moment(since, "since"),
        until=_moment(until, "until"),
        limit=limit,
        offset=offset,
    )


ROUTES = [audit]
