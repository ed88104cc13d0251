"""One application per need, and why no fund fits, by property (issue 14): a new assessment
updates the case's undecided application, follows up a decided one with new purposes
only, or does nothing; the matching names its reason."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.funds.domain import needs, opening
from services.funds.domain.money import Totals, check_commitment, check_reversal, check_tranche
from services.funds.domain.vocabulary import UNDECIDED
from shared.errors import Conflict

PURPOSES = ("relocation", "home_security", "medical_psychological", "legal", "digital_security", "self_care")
STATUSES = ("pending", "info_requested", "approved", "rejected", "closed")

purposes = st.lists(st.sampled_from(PURPOSES), max_size=8)
previous = st.lists(
    st.builds(
        needs.Previous,
        id=st.uuids(),
        status=st.sampled_from(STATUSES),
        purposes=st.frozensets(st.sampled_from(PURPOSES), min_size=1),
    ),
    max_size=5,
)


@given(purposes, previous)
def test_a_new_assessment_updates_follows_up_or_does_nothing(wanted, apps):
    plan = needs.plan(wanted, apps)
    undecided = [a for a in apps if a.status in UNDECIDED]
    decided = [a for a in apps if a.status not in UNDECIDED]
    covered = set().union(set(), *(a.purposes for a in decided))
    fresh = [p for p in dict.fromkeys(wanted) if p not in covered]
    if not wanted:
        assert plan.action == "nothing"
    elif not apps:
        assert plan.action == "open" and list(plan.purposes) == list(dict.fromkeys(wanted))
    elif not fresh:
        # Everything recommended was answered by a decided application: nothing opens.
        assert plan.action == "nothing"
    elif undecided:
        # Never a second application while one is undecided: the latest undecided is updated
        # with what no decided application answered.
        assert plan.action == "update" and plan.application_id == undecided[-1].id
        assert list(plan.purposes) == fresh
    else:
        # A follow-up: only what no decided application covered, linked to the latest one.
        assert plan.action == "follow_up" and plan.application_id == apps[-1].id
        assert list(plan.purposes) == fresh and not set(plan.purposes) & covered
    assert plan.action != "open" or not apps
    assert len(set(plan.purposes)) == len(plan.purposes)


@given(purposes, st.lists(st.sampled_from(PURPOSES)))
def test_new_purposes_are_those_not_covered_in_order(wanted, covered):
    fresh = needs.new_purposes(wanted, covered)
    assert set(fresh) == set(wanted) - set(covered)
    assert list(fresh) == [p for p in dict.fromkeys(wanted) if p not in covered]


@given(
    st.lists(st.sampled_from(PURPOSES), unique=True),
    st.dictionaries(st.sampled_from(PURPOSES), st.integers(0, 10**6)),
    st.integers(0, 10**6),
)
def test_an_update_keeps_amounts_already_set_and_prices_the_rest(wanted, current, suggested):
    lines = needs.revised_lines(wanted, current, lambda _p: suggested)
    assert [p for p, _ in lines] == wanted
    for p, a in lines:
        assert a == (current[p] if current.get(p, 0) > 0 else suggested)


@st.composite
def serving(draw) -> list[opening.Candidate]:
    rows = draw(
        st.lists(
            st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 3), st.booleans()),
            max_size=5,
        )
    )
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        opening.Candidate(uuid.uuid4(), a, r, t0 + timedelta(days=d), "USD", has_policy=p)
        for a, r, d, p in rows
    ]


@given(serving())
def test_the_matching_says_why_no_fund_fits(cands):
    m = opening.match(cands)
    with_policy = [c for c in cands if c.has_policy]
    if m.chosen is not None:
        assert m.reason is None and m.chosen.has_policy and m.chosen.available >= m.chosen.requested
        assert m.pricing == m.chosen
    elif not cands:
        assert m.reason == "no_fund_serves_country" and m.pricing is None
    elif not with_policy:
        assert m.reason == "no_fund_with_policy" and m.pricing is None
    else:
        # None has enough: the numbers are those of the fund that prices it (the richest).
        assert m.reason == "not_enough_available"
        assert all(c.available < c.requested for c in with_policy)
        assert m.pricing is not None and m.pricing.available == max(c.available for c in with_policy)
        assert (m.available, m.needed, m.currency) == (m.pricing.available, m.pricing.requested, "USD")
        assert m.available < m.needed


# One step on a fund's ledger: (kind, amount, which deposit or application).
ledger_steps = st.lists(
    st.tuples(
        st.sampled_from(["deposit", "reverse", "approve", "pay", "close"]),
        st.integers(1, 10**6),
        st.integers(0, 4),
    ),
    max_size=60,
)


@given(ledger_steps)
def test_reversals_never_make_the_balance_negative_nor_commitments_exceed_it(plan):
    """Deposits, reversals of whole deposits (once each), approvals, tranches and closes as
    the rules allow them: the balance and what is available never go below 0, and what is
    committed never exceeds the balance."""
    deposited = committed = released = disbursed = 0
    deposits: list[int] = []
    reversed_: set[int] = set()
    grants: dict[int, list[int]] = {}  # application -> [approved, paid, closed]

    def totals() -> Totals:
        return Totals(deposited, committed, released, disbursed)

    for kind, amount, which in plan:
        if kind == "deposit":
            deposits.append(amount)
            deposited += amount
        elif kind == "reverse" and deposits:
            i = which % len(deposits)
            if i in reversed_:
                continue  # the service answers 409: already reversed
            try:
                check_reversal(totals(), deposits[i], "USD")
            except Conflict as refused:
                assert deposits[i] > totals().available and refused.extra["needed"] == deposits[i]
                continue
            reversed_.add(i)
            deposited -= deposits[i]
        elif kind == "approve" and which not in grants:
            try:
                check_commitment(totals(), amount, "USD")
            except Conflict:
                continue
            committed += amount
            grants[which] = [amount, 0, 0]
        elif kind == "pay" and which in grants and not grants[which][2]:
            try:
                check_tranche(grants[which][0], grants[which][1], amount)
            except Conflict:
                continue
            grants[which][1] += amount
            disbursed += amount
        elif kind == "close" and which in grants and not grants[which][2]:
            released += grants[which][0] - grants[which][1]
            grants[which][2] = 1
        t = totals()
        assert t.balance >= 0 and t.available >= 0 and 0 <= t.committed <= t.balance
        assert t.balance == sum(d for i, d in enumerate(deposits) if i not in reversed_) - disbursed
