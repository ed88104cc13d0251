"""Opening an application by property: purposes, track, pricing, the fund it draws from."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.funds.domain import opening, policy
from services.funds.domain.vocabulary import EMERGENCY_LEVELS, MEASURE_PURPOSES
from shared.errors import Invalid
from shared.events import LEVELS, MeasureKind

MEASURES: tuple[MeasureKind, ...] = ("shelter", *MEASURE_PURPOSES)


@st.composite
def candidates(draw) -> list[opening.Candidate]:
    rows = draw(
        st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6), st.integers(0, 3)), max_size=6)
    )
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    return [opening.Candidate(uuid.uuid4(), a, r, t0 + timedelta(days=d)) for a, r, d in rows]


@given(candidates())
def test_the_chosen_fund_can_pay_and_has_the_most_available(cands):
    chosen = opening.choose_fund(cands)
    able = [c for c in cands if c.requested <= c.available]
    if not able:
        assert chosen is None
        return
    assert chosen in able and chosen.available == max(c.available for c in able)
    assert chosen.created_at == min(c.created_at for c in able if c.available == chosen.available)


@given(candidates())
def test_an_uncovered_application_is_priced_by_the_richest_fund(cands):
    pricing = opening.pricing_fund(cands)
    if not cands:
        assert pricing is None
        return
    richest = max(c.available for c in cands)
    assert pricing.available == richest
    assert pricing.created_at == min(c.created_at for c in cands if c.available == richest)


@given(st.lists(st.sampled_from(MEASURES), max_size=10))
def test_purposes_follow_the_measures_once_each(measures):
    purposes = opening.purposes_for(measures)
    assert len(purposes) == len(set(purposes))
    assert set(purposes) == {MEASURE_PURPOSES[m] for m in measures if m != "shelter"}
    # The first mention decides the order.
    firsts = [MEASURE_PURPOSES[m] for m in measures if m != "shelter"]
    assert purposes == sorted(set(firsts), key=firsts.index)


@given(st.sampled_from(LEVELS))
def test_high_risk_is_the_emergency_track(level):
    assert opening.track_for(level) == ("emergency" if level in EMERGENCY_LEVELS else "ordinary")


@given(
    st.lists(
        st.tuples(st.sampled_from(["legal", "relocation", "self_care"]), st.integers(0, 100)), max_size=4
    )
)
def test_lines_asked_for_by_hand(lines):
    purposes = [p for p, _ in lines]
    try:
        opening.check_lines(lines)
    except Invalid as refused:
        assert len(set(purposes)) != len(purposes) or sum(a for _, a in lines) <= 0
        assert refused.code in ("application.purpose_twice", "application.nothing_requested")
        return
    assert len(set(purposes)) == len(purposes) and sum(a for _, a in lines) > 0


suggestions = st.lists(
    st.tuples(
        st.sampled_from(["legal", "relocation"]), st.sampled_from([None, "GT", "HN"]), st.integers(1, 1000)
    ),
    max_size=5,
)


@given(
    suggestions, st.sampled_from(["GT", "HN", "SV"]), st.sampled_from(["legal", "relocation", "self_care"])
)
def test_suggested_amount_prefers_the_country_then_the_general_one(items, country, purpose):
    as_stored = [{"purpose": p, "country": c, "amount": a} for p, c, a in items]
    amount = policy.suggested_amount(as_stored, purpose, country)
    own = [a for p, c, a in items if p == purpose and c == country]
    general = [a for p, c, a in items if p == purpose and c is None]
    assert amount == (own[0] if own else general[-1] if general else 0)


@given(st.integers(1, 1000), st.integers(1, 1000), suggestions, st.sampled_from([("GT",), ("GT", "HN")]))
def test_an_accepted_policy_never_exceeds_its_ceiling(ceiling, emergency_limit, items, countries):
    try:
        policy.check_policy(ceiling, emergency_limit, items, countries)
    except Invalid as refused:
        assert refused.code.startswith("policy.")
        return
    assert emergency_limit <= ceiling
    assert all(a <= ceiling for _, _, a in items)
    assert len({(p, c) for p, c, _ in items}) == len(items)
    assert all(c is None or c in countries for _, c, _ in items)


def test_a_refused_policy_names_the_field_not_the_value():
    with pytest.raises(Invalid) as refused:
        policy.check_policy(100, 10, [("legal", "CR", 5)], ("GT",))
    assert refused.value.extra["field"] == "suggested[0]" and "CR" not in refused.value.detail
