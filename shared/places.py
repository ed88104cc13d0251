"""Places from a list, not free text: countries are ISO 3166-1 alpha-2 codes, regions ISO
3166-2 subdivision codes (``GT-17`` Petén, ``MX-CHP`` Chiapas), checked against pycountry
and shown to people by name (Spanish where pycountry's catalogs have it, English otherwise).

A free-text "region" once carried a street address into events, the shelters database and
the placements network staff read; a code cannot. The patterns live in the types (so the
API documents and event decoding enforce the shape); membership in the ~5,000 codes is
checked where a request enters, by ``check_*`` in a request Struct's ``__post_init__``
(an ``Invalid`` there is a 422 that names the field: the code fits the pattern). Events are checked by pattern
only: a code dropped by a future ISO update must not dead-letter an old event.
"""

from __future__ import annotations

import functools
import gettext
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import msgspec
import msgspec.inspect
import pycountry

from shared.errors import Invalid
from shared.validation import END

COUNTRY_PATTERN = r"^[A-Z]{2}" + END
REGION_PATTERN = r"^[A-Z]{2}-[A-Z0-9]{1,3}" + END
PLACE_PATTERN = r"^[A-Z]{2}(-[A-Z0-9]{1,3})?" + END

Country = Annotated[
    str, msgspec.Meta(pattern=COUNTRY_PATTERN, description="ISO 3166-1 alpha-2 country code, e.g. GT")
]
Region = Annotated[
    str,
    msgspec.Meta(pattern=REGION_PATTERN, description="ISO 3166-2 subdivision code, e.g. GT-17 or MX-CHP"),
]
# Where she must not be placed: a subdivision, or a whole country by its alpha-2 code.
Place = Annotated[
    str,
    msgspec.Meta(
        pattern=PLACE_PATTERN,
        description="ISO 3166-2 subdivision code (GT-17) or ISO 3166-1 alpha-2 country code (MX)",
    ),
]
Lang = Literal["es", "en"]
DEFAULT_LANG: Lang = "es"
T = TypeVar("T")


class _Entry(msgspec.Struct):
    code: str
    name: str


class _Country(msgspec.Struct):
    code: str = msgspec.field(name="alpha_2")
    name: str


def _names_in(file: str, entry: type[_Entry | _Country]) -> dict[str, str]:
    data = (Path(pycountry.DATABASE_DIR) / f"iso{file}.json").read_bytes()
    return {e.code: e.name for e in msgspec.json.decode(data, type=dict[str, list[entry]])[file]}


# pycountry's own files, read for the two fields used here: its objects for every
# subdivision of the world cost each of the five processes about 5 MB for as long as it
# runs; these dicts about 1 MB. Same codes, same names (tests/shared/test_places.py).
@functools.cache
def _country_names() -> dict[str, str]:
    return _names_in("3166-1", _Country)


@functools.cache
def _regions() -> dict[str, str]:
    return _names_in("3166-2", _Entry)


def is_country(code: str) -> bool:
    return code in _country_names()


def is_region(code: str) -> bool:
    return code in _regions()


def regions_of(country: str) -> list[str]:
    """The subdivision codes of a country (ISO 3166-2), for people to choose from."""
    return sorted(code for code in _regions() if country_of(code) == country)


def country_of(region: str) -> str:
    """The country a subdivision code belongs to (its first two letters)."""
    return region[:2]


# A well-formed code that names no place fits the document's pattern: refusing it breaks
# a rule the schema cannot say, a 422 (``Invalid``), not a 400. msgspec lets an exception
# that is not a ValueError leave ``__post_init__`` as it is, so the edge maps it once.
def _unknown(field: str, detail: str) -> Invalid:
    return Invalid(detail, code="place.unknown", extra={"field": field})


def check_country(field: str, code: str) -> None:
    """Refuse a well-formed code that names no country; the message names the field only."""
    if not is_country(code):
        raise _unknown(field, f"{field} is not an ISO 3166-1 alpha-2 country code")


def check_region(field: str, code: str, *, country: str | None = None) -> None:
    """Refuse an unknown subdivision, or one of another country than ``country``."""
    if not is_region(code):
        raise _unknown(field, f"{field} is not an ISO 3166-2 subdivision code")
    if country is not None and country_of(code) != country:
        raise Invalid(
            f"{field} is a subdivision of another country than the one given",
            code="place.other_country",
            extra={"field": field},
        )


def check_place(field: str, code: str) -> None:
    """A subdivision or a whole country."""
    if not (is_region(code) or (len(code) == 2 and is_country(code))):
        raise _unknown(field, f"{field} is neither an ISO 3166-2 subdivision code nor a country code")


@functools.cache
def _catalog(domain: str, lang: str) -> gettext.NullTranslations:
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=[lang], fallback=True)


@functools.cache
def place_name(code: str | None, lang: str = DEFAULT_LANG) -> str | None:
    """The name people read for a country or subdivision code, in ``lang`` when pycountry
    has it (English otherwise); a code it does not know is shown as the code itself."""
    if code is None:
        return None
    if len(code) == 2:
        country = _country_names().get(code)
        if country is None:
            return code
        return _catalog("iso3166-1", lang).gettext(country)
    name = _regions().get(code)
    if name is None:
        return code
    return _catalog("iso3166-2", lang).gettext(name)


def language(accept_language: str | None) -> Lang:
    """Spanish unless the request prefers another language: ``es`` when the header is
    absent or its first language (by q-value) is Spanish, ``en`` otherwise."""
    if not accept_language:
        return DEFAULT_LANG
    ranked: list[tuple[float, int, str]] = []
    for i, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        if tag and q > 0:
            ranked.append((-q, i, tag.strip().lower()))
    if not ranked:
        return DEFAULT_LANG
    first = min(ranked)[2]
    if first == "*" or first.split("-")[0] == "es":
        return "es"
    return "en"


def _plural(word: str) -> str:
    return word[:-1] + "ies" if word.endswith("y") else word + "s"


def localize(value: T, lang: str = DEFAULT_LANG) -> T:
    """Fill the names of places in a response: in every Struct (nested ones and lists
    included), a field ``<x>_name`` gets the name of the code in ``<x>`` and a field
    ``<x>_names`` the names of the codes in ``<x>s`` (``country_names`` from ``countries``).
    Use cases return codes; the route,
    which knows the caller's language, names them."""
    if isinstance(value, msgspec.Struct):
        names, nested = _plan(type(value))
        if not names and not nested:
            return value
        changes: dict[str, Any] = {}
        for field, source, many in names:
            code = getattr(value, source)
            if many:
                changes[field] = [place_name(c, lang) for c in code or ()]
            elif code is None or isinstance(code, str):
                changes[field] = place_name(code, lang)
        for field in nested:
            current = getattr(value, field)
            if isinstance(current, (msgspec.Struct, list)):
                named = localize(current, lang)
                if named is not current:
                    changes[field] = named
        return msgspec.structs.replace(value, **changes) if changes else value
    if isinstance(value, list) and value and isinstance(value[0], msgspec.Struct):
        if all(_plan(type(v)) == ((), ()) for v in value):  # nothing to name in any of them
            return value
        named_items = [localize(v, lang) for v in value]
        if any(n is not v for n, v in zip(named_items, value, strict=True)):
            return named_items  # type: ignore[return-value]
    return value


@functools.cache
def _plan(cls: type) -> tuple[tuple[tuple[str, str, bool], ...], tuple[str, ...]]:
    """Per Struct type, once: the name fields with their source (and whether it names a
    list), and the fields that may hold Structs to look into. Worked out on every value,
    this was a quarter of the time of a 200-shelter capacity answer."""
    fields = cls.__struct_fields__
    names: list[tuple[str, str, bool]] = []
    nested: list[str] = []
    try:
        types = {f.name: f.type for f in msgspec.inspect.type_info(cls).fields}
    except Exception:  # a type msgspec cannot describe: look into the field at run time
        types = {}
    for field in fields:
        if field.endswith("_names") and (source := _plural(field[: -len("_names")])) in fields:
            names.append((field, source, True))
        elif field.endswith("_name") and (source := field[: -len("_name")]) in fields:
            names.append((field, source, False))
        elif field not in types or _may_hold_structs(types[field]):
            nested.append(field)
    return tuple(names), tuple(nested)


_LEAVES = (
    msgspec.inspect.IntType,
    msgspec.inspect.FloatType,
    msgspec.inspect.StrType,
    msgspec.inspect.BoolType,
    msgspec.inspect.NoneType,
    msgspec.inspect.DateTimeType,
    msgspec.inspect.DateType,
    msgspec.inspect.TimeType,
    msgspec.inspect.TimeDeltaType,
    msgspec.inspect.UUIDType,
    msgspec.inspect.DecimalType,
    msgspec.inspect.LiteralType,
    msgspec.inspect.EnumType,
    msgspec.inspect.BytesType,
)


def _may_hold_structs(t: msgspec.inspect.Type) -> bool:
    if isinstance(t, msgspec.inspect.UnionType):
        return any(_may_hold_structs(x) for x in t.types)
    return not isinstance(t, _LEAVES)
