"""The grants report."""

from __future__ import annotations

import msgspec


class GrantRow(msgspec.Struct, kw_only=True):
    country: str
    country_name: str | None = None  # in the caller's language (Accept-Language)
    purpose: str
    month: str
    currency: str
    granted: int
    paid: int


class Distribution(msgspec.Struct, kw_only=True):
    count: int
    median_hours: float | None
    p90_hours: float | None


class GrantsReport(msgspec.Struct, kw_only=True):
    rows: list[GrantRow]
    to_decision: Distribution
    to_first_payment: Distribution
