"""A fund's money: its position from the ledger, and what may be committed, paid or
released. The ledger trigger (migration 0002) enforces the same limits under the fund's
row lock; these rules let a use case refuse first, with a clear answer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.errors import Conflict


@dataclass(frozen=True)
class Totals:
    """A fund's position, derived from the running totals of its ledger."""

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


def check_commitment(totals: Totals, amount: int, currency: str) -> None:
    """An approval commits money the fund has available, or nothing at all."""
    if amount > totals.available:
        raise Conflict(
            "the fund has not enough money available for this approval: nothing was recorded. "
            "Deposit more into the fund or approve a smaller amount",
            code="fund.not_enough_available",
            extra={"available": totals.available, "needed": amount, "currency": currency},
        )


def check_reversal(totals: Totals, amount: int, currency: str) -> None:
    """A deposit can be taken back only while the fund still has it available: money
    already committed to grants (or paid) is not there to take back."""
    if amount > totals.available:
        raise Conflict(
            "this deposit cannot be reversed: part of it is already committed to grants or paid. "
            "Nothing was recorded",
            code="fund.reversal_exceeds_available",
            extra={"available": totals.available, "needed": amount, "currency": currency},
        )


def check_tranche(approved: int, paid: int, amount: int) -> int:
    """A tranche never takes a grant past what was approved; returns what is left after it."""
    remaining = approved - paid
    if amount > remaining:
        raise Conflict(
            "this tranche would pay more than was approved for this grant; nothing was paid",
            code="disbursement.above_approved",
            extra={"approved": approved, "paid": paid, "remaining": remaining},
        )
    return remaining - amount


def unpaid_commitment(approved: int | None, paid: int, released: int) -> int:
    """What closing a grant gives back to its fund: approved, not paid, not yet released."""
    return max((approved or 0) - paid - released, 0)


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
