"""One shape for every list: ``?limit=&offset=`` in, ``{items, total, limit, offset}`` out."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec
from litestar.params import Parameter

T = TypeVar("T")

Limit = Annotated[int, Parameter(ge=1, le=200, description="page size (1-200)")]
Offset = Annotated[int, Parameter(ge=0, le=10_000_000, description="rows to skip (0-10,000,000)")]


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


def known_total(found: int, *, limit: int, offset: int) -> int | None:
    """The list's total when its page already tells it, else None (count the rows).

    A page with fewer rows than asked for is the last one, so the total is what came
    before it plus what it holds; an empty page past the start says nothing (the offset
    may be beyond the end). Most lists asked for (one case's placements, a country's few
    applications) fit in one page: their count query was a second scan of the same rows."""
    if found < limit and (found > 0 or offset == 0):
        return offset + found
    return None
