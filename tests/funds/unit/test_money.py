"""The fund's money by property: a fund never commits or pays out more than its balance,
an application is never paid more than was approved, a close releases exactly the rest."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.funds.domain.money import Totals, allocate, check_commitment, check_tranche, unpaid_commitment
from shared.errors import Conflict

amounts = st.integers(1, 10**7)

# One step on a fund: (kind, amount, which application).
steps = st.lists(
    st.tuples(st.sampled_from(["deposit", "approve", "pay", "close"]), amounts, st.integers(0, 4)),
    max_size=60,
)


@given(steps)
def test_a_fund_never_commits_or_pays_more_than_it_has(plan):
    """Apply the ledger's arithmetic for every step the rules allow (the refused ones
    write nothing) and check the fund's position after each."""
    ledger = {"deposit": 0, "commitment": 0, "release": 0, "disbursement": 0}
    grants: dict[int, dict] = {}  # application -> approved, paid, released, closed

    def totals() -> Totals:
        return Totals(ledger["deposit"], ledger["commitment"], ledger["release"], ledger["disbursement"])

    for kind, amount, app in plan:
        grant = grants.get(app)
        if kind == "deposit":
            ledger["deposit"] += amount
        elif kind == "approve" and grant is None:
            try:
                check_commitment(totals(), amount, "USD")
            except Conflict as refused:
                assert amount > totals().available and refused.extra["available"] == totals().available
                continue
            ledger["commitment"] += amount
            grants[app] = {"approved": amount, "paid": 0, "released": 0, "closed": False}
        elif kind == "pay" and grant is not None and not grant["closed"]:
            try:
                left = check_tranche(grant["approved"], grant["paid"], amount)
            except Conflict:
                assert grant["paid"] + amount > grant["approved"]
                continue
            assert left == grant["approved"] - grant["paid"] - amount >= 0
            ledger["disbursement"] += amount
            grant["paid"] += amount
        elif kind == "close" and grant is not None and not grant["closed"]:
            release = unpaid_commitment(grant["approved"], grant["paid"], grant["released"])
            ledger["release"] += release
            grant["released"] += release
            grant["closed"] = True
        t = totals()
        assert t.balance >= 0 and t.committed >= 0 and t.available >= 0
        assert t.available == t.balance - t.committed
        assert t.committed == sum(g["approved"] - g["paid"] for g in grants.values() if not g["closed"])
        assert all(g["paid"] <= g["approved"] for g in grants.values())


@given(st.integers(1, 10**9), st.lists(amounts, max_size=30))
def test_tranches_never_pay_more_than_approved(approved, tranches):
    paid = 0
    for amount in tranches:
        try:
            check_tranche(approved, paid, amount)
        except Conflict as refused:
            assert refused.extra == {"approved": approved, "paid": paid, "remaining": approved - paid}
            continue
        paid += amount
    assert 0 <= paid <= approved


@given(st.one_of(st.none(), st.integers(1, 10**9)), st.integers(0, 10**9), st.integers(0, 10**9))
def test_closing_releases_what_is_neither_paid_nor_released(approved, paid, released):
    release = unpaid_commitment(approved, paid, released)
    assert release >= 0
    assert release == max((approved or 0) - paid - released, 0)


def test_a_refused_commitment_says_what_is_available_and_never_the_amount_in_words():
    with pytest.raises(Conflict) as refused:
        check_commitment(Totals(100, 0, 0, 0), 101, "GTQ")
    assert refused.value.code == "fund.not_enough_available"
    assert refused.value.extra == {"available": 100, "needed": 101, "currency": "GTQ"}
    assert "101" not in refused.value.detail


@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**9), min_size=1, max_size=8))
def test_allocate_splits_exactly_and_proportionally(total, weights):
    shares = allocate(total, weights)
    assert sum(shares) == total and all(s >= 0 for s in shares)
    whole = sum(weights)
    if whole > 0:
        for s, w in zip(shares, weights, strict=True):
            assert abs(s - total * w / whole) < 1 + 1e-9
