"""The listing of an audit log, alike in each service that keeps one (risk: defenders'
personal data read or refused; shelters: shelters' addresses shown): who and when as
query parameters, times parsed as exactly RFC 3339, and the range checked. Each service
keeps its own table, written in the transaction that reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import msgspec
from litestar.params import QueryParameter

from shared.errors import BadInput, Invalid
from shared.validation import END

TIME_SCHEMA = {"format": "date-time"}
_At = Annotated[datetime, msgspec.Meta(tz=True)]
# Beyond these a time names no row (and a year-1 or year-9999 time has no UTC twin).
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(9000, 1, 1, tzinfo=UTC)

ActorQ = Annotated[
    str | None,
    QueryParameter(max_length=200, pattern=r"^[^\x00]*" + END, description="who read (token subject)"),
]
SinceQ = Annotated[
    str | None,
    QueryParameter(
        max_length=40,
        schema_extra=TIME_SCHEMA,
        description="from this time (RFC 3339 with its offset, included)",
    ),
]
UntilQ = Annotated[
    str | None,
    QueryParameter(
        max_length=40, schema_extra=TIME_SCHEMA, description="before this time (RFC 3339 with its offset)"
    ),
]


def moment(value: str | None, name: str) -> datetime | None:
    """An RFC 3339 time with its offset, parsed as exactly that (Litestar would also take a
    number of seconds, and a time without offset says no day for sure)."""
    if value is None:
        return None
    try:
        at = msgspec.convert(value, _At)
    except msgspec.ValidationError:
        raise BadInput(
            f"'{name}' must be an RFC 3339 time with its offset (2026-11-22T18:00:00Z)",
            code="audit.bad_time",
            extra={"field": name},
        ) from None
    if not _EARLIEST <= at < _LATEST:
        raise Invalid(f"'{name}' must be between 1970 and 9000", code="audit.out_of_range")
    return at


def check_range(since: datetime | None, until: datetime | None) -> None:
    """The use cases' own check (they are called from more than HTTP)."""
    if any(t is not None and t.tzinfo is None for t in (since, until)):
        raise Invalid("times need their UTC offset (RFC 3339)", code="audit.naive_time")
    if since is not None and until is not None and until < since:
        raise Invalid("the range ends before it starts", code="audit.backwards_range")
