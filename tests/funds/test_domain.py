"""Pure rules of funds, by property."""

from __future__ import annotations

import uuid

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from services.funds import domain
from services.funds.schemas import DisbursementCreate


@given(st.integers(0, 10**12), st.lists(st.integers(0, 10**9), min_size=1, max_size=8))
def test_allocate_splits_exactly_and_proportionally(total, weights):
    shares = domain.allocate(total, weights)
    assert sum(shares) == total and all(s >= 0 for s in shares)
    whole = sum(weights)
    if whole > 0:
        for s, w in zip(shares, weights, strict=True):
            assert abs(s - total * w / whole) < 1 + 1e-9


@given(st.integers(1, 25), st.integers(0, 30), st.data())
def test_quorum_never_both_approved_and_rejected(quorum, members, data):
    recused = data.draw(st.integers(0, members))
    eligible = members - recused
    approvals = data.draw(st.integers(0, eligible))
    rejections = data.draw(st.integers(0, eligible - approvals))
    tally = domain.Tally(members, recused, tuple([100] * approvals), rejections, 0, quorum)
    outcome = domain.ordinary_outcome(tally)
    assert 1 <= tally.required <= max(1, quorum)
    if eligible:
        assert tally.required <= eligible
    if outcome == "approved":
        assert approvals >= min(quorum, eligible) and eligible > 0
    if outcome == "rejected":
        assert approvals < tally.required
    # A full committee that all approves always decides.
    if eligible and approvals == eligible:
        assert outcome == "approved"


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), max_size=6))
def test_choose_fund_picks_a_fund_that_can_pay_with_most_available(funds):
    candidates = [domain.Candidate(uuid.uuid4(), a, r, i) for i, (a, r) in enumerate(funds)]
    chosen = domain.choose_fund(candidates)
    able = [c for c in candidates if c.requested <= c.available]
    if not able:
        assert chosen is None
    else:
        assert chosen in able and chosen.available == max(c.available for c in able)


def test_purposes_and_suggested_amounts():
    assert domain.purposes_for(["shelter", "legal_grant", "legal_grant", "self_care"]) == [
        "legal",
        "self_care",
    ]
    policy = [
        {"purpose": "legal", "country": None, "amount": 5},
        {"purpose": "legal", "country": "GT", "amount": 7},
    ]
    assert domain.suggested_amount(policy, "legal", "GT") == 7
    assert domain.suggested_amount(policy, "legal", "HN") == 5
    assert domain.suggested_amount(policy, "relocation", "HN") == 0
    assert domain.track_for("extreme") == domain.track_for("high") == "emergency"
    assert domain.track_for("medium") == "ordinary"
    assert domain.percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert domain.percentile([], 0.9) is None


@given(st.text(max_size=40))
def test_a_payee_reference_is_never_a_name(reference):
    body = {"amount": 1, "currency": "USD", "method": "bank_transfer", "payee_reference": reference}
    try:
        parsed = msgspec.convert(body, DisbursementCreate)
    except msgspec.ValidationError:
        return
    ref = parsed.payee_reference
    assert " " not in ref and any(ch.isdigit() for ch in ref) and ref == ref.upper() and 4 <= len(ref) <= 34


@given(
    st.integers(-(10**13), 10**13),
    st.sampled_from(["USD", "GTQ", "usd", "XXX", ""]),
)
def test_amounts_must_be_positive_and_currencies_known(amount, currency):
    body = {"amount": amount, "currency": currency, "method": "mobile_money", "payee_reference": "W-1234"}
    try:
        msgspec.convert(body, DisbursementCreate)
        ok = True
    except msgspec.ValidationError:
        ok = False
    assert ok == (0 < amount <= 10**12 and currency in ("USD", "GTQ"))
