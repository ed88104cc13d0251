"""Pure rules of the funds service: money arithmetic, fund choice, quorum and decisions."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

# Measures recommended by risk that are paid by a fund, and the purpose each pays for.
# `shelter` is the shelters service's business; `digital_security` and `self_care` are
# rapid-response purposes in their own right (seed, chapter IV.1).
MEASURE_PURPOSES: dict[str, str] = {
    "relocation_grant": "relocation",
    "home_security_grant": "home_security",
    "medical_psychological_grant": "medical_psychological",
    "legal_grant": "legal",
    "digital_security": "digital_security",
    "self_care": "self_care",
}
EMERGENCY_LEVELS = frozenset({"high", "extreme"})
UNDECIDED = frozenset({"pending", "info_requested"})


@dataclass(frozen=True)
class Totals:
    """A fund's position, derived from its ledger totals."""

    deposited: int
    committed_total: int
    released_total: int
    disbursed_total: int

    @property
    def balance(self) -> int:
        return self.deposited - self.disbursed_total

    @property
    def committed(self) -> int:
        """Commitments not yet released nor paid."""
        return self.committed_total - self.released_total - self.disbursed_total

    @property
    def available(self) -> int:
        return self.balance - self.committed


def purposes_for(measures: Iterable[str]) -> list[str]:
    """Grant purposes for the recommended measures, in a stable order, without repeats."""
    seen: list[str] = []
    for measure in measures:
        purpose = MEASURE_PURPOSES.get(measure)
        if purpose is not None and purpose not in seen:
            seen.append(purpose)
    return seen


def track_for(level: str) -> Literal["emergency", "ordinary"]:
    return "emergency" if level in EMERGENCY_LEVELS else "ordinary"


def suggested_amount(suggested: Sequence[dict], purpose: str, country: str) -> int:
    """The policy's amount for a purpose in a country; the country-less one otherwise; 0 if none."""
    general = 0
    for item in suggested:
        if item["purpose"] != purpose:
            continue
        if item.get("country") == country:
            return int(item["amount"])
        if item.get("country") is None:
            general = int(item["amount"])
    return general


@dataclass(frozen=True)
class Candidate:
    fund_id: object
    available: int
    requested: int
    created_at: object


def choose_fund(candidates: Sequence[Candidate]) -> Candidate | None:
    """The fund that can cover the suggested total and has the most available money
    (ties: the oldest fund). None when no fund can cover it. A total of 0 (the policy
    suggests nothing for these purposes) is covered: the committee prices it when voting."""
    able = [c for c in candidates if c.available >= c.requested]
    if not able:
        return None
    return min(able, key=lambda c: (-c.available, c.created_at, str(c.fund_id)))


def required_votes(quorum: int, eligible: int) -> int:
    """The quorum counts only members who may vote: with fewer eligible members than the
    quorum, every eligible member must agree. Never less than one vote."""
    return max(1, min(quorum, eligible))


Outcome = Literal["recorded", "approved", "rejected", "info_requested", "ratified", "flagged"]


@dataclass(frozen=True)
class Tally:
    members: int
    recused: int
    approvals: tuple[int, ...]  # amounts of the approving votes of eligible members
    rejections: int
    info_requests: int
    quorum: int

    @property
    def eligible(self) -> int:
        return self.members - self.recused

    @property
    def required(self) -> int:
        return required_votes(self.quorum, self.eligible)

    @property
    def approval_reached(self) -> bool:
        return self.eligible > 0 and len(self.approvals) >= self.required

    @property
    def approval_impossible(self) -> bool:
        """Too many rejections: the members who have not voted cannot reach the quorum."""
        return self.eligible - self.rejections < self.required

    @property
    def approved_amount(self) -> int:
        # Every approving member agreed to at least the smallest amount proposed.
        return min(self.approvals)


def ordinary_outcome(tally: Tally) -> Outcome:
    if tally.approval_reached:
        return "approved"
    if tally.approval_impossible:
        return "rejected"
    return "recorded"


def ratification_outcome(tally: Tally) -> Outcome:
    if tally.approval_reached:
        return "ratified"
    if tally.approval_impossible:
        return "flagged"
    return "recorded"


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` over ``weights`` proportionally in integers that sum to ``total``
    (largest remainder; equal split when all weights are zero)."""
    if not weights:
        return []
    if total == 0:
        return [0] * len(weights)
    if sum(weights) <= 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (as numpy's default), None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def request_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()
