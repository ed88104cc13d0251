"""The caller's language for the names of places. A route that shows places reads
``lang: AcceptLanguage = None`` and answers ``named(result, lang)``: use cases return
codes and never read headers."""

from __future__ import annotations

from typing import Annotated, TypeVar

from litestar.params import HeaderParameter

from shared import places

T = TypeVar("T")

AcceptLanguage = Annotated[
    str | None,
    HeaderParameter(
        name="Accept-Language",
        required=False,
        max_length=200,
        description="es (the default) or en: the language of country_name and region_name",
    ),
]


def named(result: T, accept_language: str | None) -> T:
    """``result`` with the names of its places in the caller's language."""
    return places.localize(result, places.language(accept_language))
