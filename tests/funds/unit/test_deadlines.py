"""Decision and ratification deadlines by property."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.funds.config import FundsConfig
from services.funds.domain import deadlines
from services.funds.domain.vocabulary import UNDECIDED

hours = st.floats(0.001, 24 * 365, allow_nan=False)
own_hours = st.one_of(st.none(), hours)
moments = st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC))
STATUSES = ("pending", "info_requested", "approved", "rejected", "closed")


@given(moments, st.sampled_from(["emergency", "ordinary"]), own_hours, own_hours, hours, hours)
def test_the_policy_sets_the_decision_deadline_else_the_config(opened, track, own, own_em, cfg, cfg_em):
    config = FundsConfig(decision_hours=cfg, emergency_decision_hours=cfg_em)
    policy = {"decision_hours": own, "emergency_decision_hours": own_em}
    due = deadlines.decision_due(opened, track, policy, config)
    expected = (own_em or cfg_em) if track == "emergency" else (own or cfg)
    assert due == opened + timedelta(hours=expected) and due > opened
    assert deadlines.decision_due(opened, track, None, config) == opened + timedelta(
        hours=cfg_em if track == "emergency" else cfg
    )


@given(moments, own_hours, hours)
def test_ratification_deadline(approved_at, own, cfg):
    due = deadlines.ratification_due(
        approved_at, {"ratification_hours": own}, FundsConfig(ratification_hours=cfg)
    )
    assert due == approved_at + timedelta(hours=own or cfg) > approved_at


@given(st.sampled_from(STATUSES), moments, moments)
def test_only_undecided_applications_are_overdue(status, due_at, now):
    assert deadlines.is_overdue(status, due_at, now) == (status in UNDECIDED and due_at < now)


@given(
    st.sampled_from(STATUSES),
    st.sampled_from([None, True, False]),
    st.sampled_from([None, "ratification_refused"]),
    st.one_of(st.none(), moments),
    moments,
)
def test_only_an_unratified_emergency_approval_is_flagged(status, ratified, stored, due, now):
    reason = deadlines.flag_reason(status, ratified, stored, due, now)
    if status != "approved" or ratified is not False:
        assert reason is None
    elif stored:
        assert reason == stored
    else:
        assert reason == ("not_ratified_in_time" if due is not None and due < now else None)
