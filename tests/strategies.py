"""Hypothesis strategies derived from msgspec type info, constraints included, so every
Struct (event payloads, request bodies) gets a generator without hand-written ones."""

from __future__ import annotations

from datetime import UTC

import msgspec
import msgspec.inspect as mi
import pycountry
from hypothesis import strategies as st

from shared import places

# Places are codes from a list: draw real ones (a pattern alone gives codes like "QQ-0").
_REGIONS = sorted(s.code for s in pycountry.subdivisions)
_COUNTRIES = sorted({places.country_of(r) for r in _REGIONS})
PLACE_STRATEGIES = {
    places.COUNTRY_PATTERN: st.sampled_from(_COUNTRIES),
    places.REGION_PATTERN: st.sampled_from(_REGIONS),
    places.PLACE_PATTERN: st.sampled_from(_REGIONS + _COUNTRIES),
}


def _region_in_country(d: dict) -> dict:
    """A drawn region moved into the drawn country, as every body and event requires."""
    country, region = d.get("country"), d.get("region")
    if isinstance(country, str) and isinstance(region, str) and places.country_of(region) != country:
        own = [r for r in _REGIONS if places.country_of(r) == country]
        d["region"] = own[len(region) % len(own)] if own else region
    return d


def from_type(tp) -> st.SearchStrategy:
    return _strategy(mi.type_info(tp))


def _strategy(info: mi.Type) -> st.SearchStrategy:
    if isinstance(info, mi.Metadata):  # a description or other schema extras: the type inside
        return _strategy(info.type)
    if isinstance(info, mi.StructType):
        fields = {f.encode_name: _strategy(f.type) for f in info.fields if f.required}
        optional = {f.encode_name: _strategy(f.type) for f in info.fields if not f.required}
        return st.fixed_dictionaries(fields, optional=optional).map(
            lambda d, cls=info.cls: msgspec.convert(_region_in_country(d), cls, from_attributes=False)
        )
    if isinstance(info, mi.StrType):
        if info.pattern in PLACE_STRATEGIES:
            return PLACE_STRATEGIES[info.pattern]
        if info.pattern:
            return st.from_regex(info.pattern, fullmatch=True)
        return st.text(min_size=info.min_length or 0, max_size=info.max_length or 40)
    if isinstance(info, mi.IntType):
        lo = info.ge if info.ge is not None else (info.gt + 1 if info.gt is not None else -(2**53))
        hi = info.le if info.le is not None else (info.lt - 1 if info.lt is not None else 2**53)
        return st.integers(lo, hi)
    if isinstance(info, mi.BoolType):
        return st.booleans()
    if isinstance(info, mi.FloatType):
        return st.floats(allow_nan=False, allow_infinity=False)
    if isinstance(info, mi.UUIDType):
        return st.uuids()
    if isinstance(info, mi.DateTimeType):
        return st.datetimes(timezones=st.just(UTC))
    if isinstance(info, mi.DateType):
        return st.dates()
    if isinstance(info, mi.LiteralType):
        return st.sampled_from(info.values)
    if isinstance(info, mi.NoneType):
        return st.none()
    if isinstance(info, mi.UnionType):
        return st.one_of(*[_strategy(t) for t in info.types])
    if isinstance(info, (mi.ListType, mi.SetType, mi.FrozenSetType)):
        inner = st.lists(_strategy(info.item_type), max_size=4)
        if isinstance(info, mi.SetType):
            return inner.map(set)
        if isinstance(info, mi.FrozenSetType):
            return inner.map(frozenset)
        return inner
    if isinstance(info, mi.DictType):
        return st.dictionaries(_strategy(info.key_type), _strategy(info.value_type), max_size=4)
    if isinstance(info, mi.AnyType):
        return st.none()
    raise NotImplementedError(f"no strategy for {info!r}")


def to_builtins(value):
    return msgspec.to_builtins(value)
