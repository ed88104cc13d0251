"""Request bodies: every one has a valid example, and the rules the schema itself enforces."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

import services.funds
from services.funds.disbursements.schemas import DisbursementCreate
from services.funds.schemas import Request


def request_bodies() -> list[type[Request]]:
    found: dict[str, type[Request]] = {}
    for info in pkgutil.walk_packages(services.funds.__path__, "services.funds."):
        if info.name.endswith(".schemas"):
            for _, cls in inspect.getmembers(importlib.import_module(info.name), inspect.isclass):
                if issubclass(cls, Request) and cls is not Request:
                    found[cls.__qualname__] = cls
    return sorted(found.values(), key=lambda c: c.__qualname__)


def test_every_aggregate_has_its_bodies():
    names = {c.__name__ for c in request_bodies()}
    assert {
        "FundCreate",
        "PolicyPut",
        "ApplicationCreate",
        "VoteCreate",
        "DisbursementCreate",
        "CloseCreate",
    } <= names


@pytest.mark.parametrize("body", request_bodies(), ids=lambda c: c.__name__)
def test_every_request_example_is_a_valid_body(body):
    example = body.__dict__.get("EXAMPLE")
    assert example, f"{body.__name__} has no EXAMPLE"
    msgspec.convert(example, body, strict=True)


@given(st.text(max_size=40))
def test_a_payee_reference_is_never_a_name(reference):
    body = {"amount": 1, "currency": "USD", "method": "bank_transfer", "payee_reference": reference}
    try:
        parsed = msgspec.convert(body, DisbursementCreate)
    except msgspec.ValidationError:
        return
    ref = parsed.payee_reference
    assert " " not in ref and any(ch.isdigit() for ch in ref) and ref == ref.upper() and 4 <= len(ref) <= 34


@given(st.integers(-(10**13), 10**13), st.sampled_from(["USD", "GTQ", "usd", "XXX", "US", "USDT", ""]))
def test_amounts_are_positive_and_currencies_are_iso_codes(amount, currency):
    body = {"amount": amount, "currency": currency, "method": "mobile_money", "payee_reference": "W-1234"}
    try:
        msgspec.convert(body, DisbursementCreate)
        ok = True
    except msgspec.ValidationError:
        ok = False
    # Which currency a grant is paid in is the use case's rule (the grant's own).
    assert ok == (0 < amount <= 10**12 and currency in ("USD", "GTQ", "XXX"))
