"""The committee's rules by property: the tally-to-state rule, the approval amount, the
ceiling, emergency eligibility and the ratification check."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.funds.domain import committee
from services.funds.domain.committee import Tally
from services.funds.domain.vocabulary import UNDECIDED, Status
from shared.errors import Conflict, Invalid

STATUSES: tuple[Status, ...] = ("pending", "info_requested", "approved", "rejected", "closed")


@st.composite
def tallies(draw) -> Tally:
    quorum = draw(st.integers(1, 25))
    members = draw(st.integers(0, 30))
    recused = draw(st.integers(0, members))
    eligible = members - recused
    approvals = draw(st.lists(st.integers(1, 10**6), max_size=eligible))
    rejections = draw(st.integers(0, eligible - len(approvals)))
    info = draw(st.integers(0, eligible - len(approvals) - rejections))
    return Tally(members, recused, tuple(approvals), rejections, info, quorum)


@given(tallies())
def test_quorum_never_both_approved_and_rejected(tally):
    assert 1 <= tally.required <= max(1, tally.quorum)
    if tally.eligible:
        assert tally.required <= tally.eligible
    assert not (tally.approval_reached and tally.approval_impossible)
    # A full committee that all approves always decides.
    if tally.eligible and len(tally.approvals) == tally.eligible:
        assert tally.approval_reached


@given(tallies(), st.booleans(), st.booleans(), st.one_of(st.none(), st.integers(1, 10**6)))
def test_the_tally_decides_one_state(tally, awaiting, request_info, emergency_amount):
    d = committee.decide(
        tally, awaiting_ratification=awaiting, request_info=request_info, emergency_amount=emergency_amount
    )
    if awaiting:
        # An emergency approval is only ever ratified or flagged: never decided again.
        assert d.outcome in ("ratified", "flagged", "recorded") and d.amount is None
        assert (d.outcome == "ratified") == tally.approval_reached
        return
    assert d.outcome in ("approved", "rejected", "info_requested", "recorded")
    if tally.approval_reached:
        # The quorum approves the lowest amount any approving member agreed to.
        assert d == committee.Decision("approved", min(tally.approvals), ratified=True)
    elif emergency_amount is not None:
        assert d == committee.Decision("approved", emergency_amount, ratified=False)
    elif d.outcome == "approved":
        pytest.fail("approved without the quorum or an emergency vote")
    if d.outcome == "rejected":
        assert tally.approval_impossible and not tally.approval_reached
    if d.outcome == "approved":
        assert d.amount is not None and d.amount > 0


@given(st.integers(0, 10**9), st.integers(1, 10**9), st.one_of(st.none(), st.integers(1, 10**9)))
def test_an_approval_never_exceeds_the_request_or_the_ceiling(requested, ceiling, proposed):
    try:
        amount = committee.approval_amount(requested, ceiling, proposed)
    except Invalid as refused:
        assert refused.code in (
            "committee.amount_needed",
            "committee.above_requested",
            "committee.above_ceiling",
        )
        assert str(proposed) not in refused.detail or proposed is None
        if proposed is None:
            assert requested == 0
        else:
            assert proposed > ceiling or requested < proposed
        return
    # Never above what was requested: on a request of 0 nothing can be approved (issue 14).
    assert 0 < amount <= min(ceiling, requested)
    assert amount == (proposed if proposed is not None else min(requested, ceiling))


@given(
    st.sampled_from(["emergency", "ordinary"]),
    st.sampled_from(STATUSES),
    st.integers(1, 10**6),
    st.integers(1, 10**6),
)
def test_emergency_eligibility(track, status, amount, limit):
    eligible = committee.emergency_approval(track, status, amount, limit)
    assert eligible == (track == "emergency" and status in UNDECIDED and amount <= limit)


@given(st.sampled_from(STATUSES), st.sampled_from([None, True, False]))
def test_the_ratification_check(status, ratified):
    awaiting = committee.awaits_ratification(status, ratified)
    assert awaiting == (status == "approved" and ratified is False)
    assert committee.votes_open(status, ratified) == (status in UNDECIDED or awaiting)
    if committee.votes_open(status, ratified):
        committee.check_votes_open(status, ratified)
    else:
        with pytest.raises(Conflict) as closed:
            committee.check_votes_open(status, ratified)
        assert closed.value.code == "committee.votes_closed"


@given(
    st.sampled_from(("emergency", "ordinary")),
    st.sampled_from(STATUSES),
    st.integers(1, 10**9),
    st.integers(1, 10**9),
)
def test_alone_approves_up_to_agrees_with_emergency_approval(track, status, amount, limit):
    """What the console warns about before a vote is exactly what the vote then does: an
    approve vote approves alone iff its amount is within the bound the seat reports."""
    bound = committee.alone_approves_up_to(track, status, limit)
    assert committee.emergency_approval(track, status, amount, limit) == (
        bound is not None and amount <= bound
    )
