"""Hypothesis strategies derived from msgspec type info, constraints included, so every
Struct (event payloads, request bodies) gets a generator without hand-written ones."""

from __future__ import annotations

from datetime import UTC

import msgspec
import msgspec.inspect as mi
from hypothesis import strategies as st


def from_type(tp) -> st.SearchStrategy:
    return _strategy(mi.type_info(tp))


def _strategy(info: mi.Type) -> st.SearchStrategy:
    if isinstance(info, mi.Metadata):  # a description or other schema extras: the type inside
        return _strategy(info.type)
    if isinstance(info, mi.StructType):
        fields = {f.encode_name: _strategy(f.type) for f in info.fields if f.required}
        optional = {f.encode_name: _strategy(f.type) for f in info.fields if not f.required}
        return st.fixed_dictionaries(fields, optional=optional).map(
            lambda d, cls=info.cls: msgspec.convert(d, cls, from_attributes=False)
        )
    if isinstance(info, mi.StrType):
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
