"""Every pattern in every service's document means the same to the service (Python's `re`,
through msgspec) and to the document's readers (ECMA-262, as the contract test's validator
reads it): no `$` (Python also matches it before a final newline), no `\\Z` (not ECMA), no
`\\s \\S \\w \\d \\b` (each engine has its own idea of a space, a word, a digit)."""

from __future__ import annotations

import re
from typing import Annotated, Any

import jsonschema_rs
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.config import SERVICES
from shared.validation import END
from tests.support import service_client

AMBIGUOUS = re.compile(r"\$|\\[ZsSwdbB]")


def patterns_in(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
        return found.union(*(patterns_in(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(patterns_in(v) for v in node))
    return set()


@pytest.mark.parametrize("service", SERVICES)
async def test_patterns_mean_the_same_to_the_service_and_the_document(make_settings, service):
    async with service_client(service, await make_settings(service)) as client:
        document = (await client.get("/schema/openapi.json")).json()
    patterns = patterns_in(document)
    assert patterns, f"{service}: no pattern found"
    for pattern in patterns:
        assert not AMBIGUOUS.search(pattern.replace(END, "")), f"{service}: {pattern} reads differently"
        agree(pattern)


def agree(pattern: str) -> None:
    document = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})
    service = Annotated[str, msgspec.Meta(pattern=pattern)]

    def accepted(value: str) -> bool:
        try:
            msgspec.convert(value, service)
        except msgspec.ValidationError:
            return False
        return True

    near = st.from_regex(pattern).flatmap(lambda s: st.sampled_from([s, s + "\n", s + "\r", s + "\u0085"]))

    @settings(max_examples=200, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.one_of(near, st.text(max_size=8)))
    def same(value: str) -> None:
        assert document.is_valid(value) == accepted(value), f"{pattern} on {value!r}"

    same()


def test_the_old_spelling_is_caught():
    with pytest.raises(AssertionError):
        agree(r"^[a-z]{2}$")
    assert AMBIGUOUS.search(r"^\S+$")
