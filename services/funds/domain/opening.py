"""Opening an application: its purposes, its track, and the fund it draws from."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from uuid import UUID

from services.funds.domain.vocabulary import EMERGENCY_LEVELS, MEASURE_PURPOSES, Purpose, Track
from shared.errors import Invalid


def purposes_for(measures: Iterable[str]) -> list[Purpose]:
    """Grant purposes for the recommended measures, in a stable order, without repeats."""
    seen: list[Purpose] = []
    for measure in measures:
        purpose = MEASURE_PURPOSES.get(measure)  # type: ignore[call-overload]
        if purpose is not None and purpose not in seen:
            seen.append(purpose)
    return seen


def track_for(level: str) -> Track:
    return "emergency" if level in EMERGENCY_LEVELS else "ordinary"


def check_lines(lines: Sequence[tuple[str, int]]) -> None:
    """An application asked for by hand names each purpose once and asks for something."""
    purposes = [purpose for purpose, _ in lines]
    if len(set(purposes)) != len(purposes):
        raise Invalid(
            "each purpose may appear once; add the amounts of repeated purposes together",
            code="application.purpose_twice",
        )
    if sum(amount for _, amount in lines) <= 0:
        raise Invalid(
            "the application asks for nothing: give at least one line an amount above 0",
            code="application.nothing_requested",
        )


@dataclass(frozen=True)
class Candidate:
    """A fund serving the case's country, with the application priced by its policy."""

    fund_id: UUID
    available: int
    requested: int
    created_at: datetime
    currency: str = "USD"
    # A fund without a grant policy serves the country but cannot price nor take applications.
    has_policy: bool = True


def _richest_first(c: Candidate) -> tuple:
    # Most available money first; ties: the oldest fund, then the id (a stable order).
    return (-c.available, c.created_at, str(c.fund_id))


def choose_fund(candidates: Sequence[Candidate]) -> Candidate | None:
    """The fund that can cover the suggested total and has the most available money
    (ties: the oldest fund). None when no fund can cover it. A total of 0 (the policy
    suggests nothing for these purposes) is covered: the committee prices it when voting."""
    able = [c for c in candidates if c.available >= c.requested]
    return min(able, key=_richest_first) if able else None


def pricing_fund(candidates: Sequence[Candidate]) -> Candidate | None:
    """Whose policy prices an application no fund can cover yet: the richest serving fund
    (the administrators assign a fund later)."""
    return min(candidates, key=_richest_first) if candidates else None


# Why the matching found no fund for an application.
NoFundReason = Literal["no_fund_serves_country", "no_fund_with_policy", "not_enough_available"]


@dataclass(frozen=True)
class Match:
    """The matching's answer: the fund that takes the application (None: no fund fits), whose
    policy prices it, and, when no fund fits, why, with the closest fund's numbers."""

    chosen: Candidate | None
    pricing: Candidate | None
    reason: NoFundReason | None = None
    available: int | None = None
    needed: int | None = None
    currency: str | None = None


def match(serving: Sequence[Candidate]) -> Match:
    """Choose among the funds serving the country (priced by each one's policy): a fund
    needs a policy to take applications; among those, ``choose_fund``. When none fits, the
    reason: no fund serves the country, none of them has a policy, or none has enough
    available (the numbers are those of the richest fund with a policy, which prices it)."""
    if not serving:
        return Match(None, None, "no_fund_serves_country")
    with_policy = [c for c in serving if c.has_policy]
    if not with_policy:
        return Match(None, None, "no_fund_with_policy")
    chosen = choose_fund(with_policy)
    if chosen is not None:
        return Match(chosen, chosen)
    best = pricing_fund(with_policy)
    assert best is not None
    return Match(None, best, "not_enough_available", best.available, best.requested, best.currency)
