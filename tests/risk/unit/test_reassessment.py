"""When an open case needs a new assessment (domain/reassessment.py), driven by hypothesis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from services.risk.domain.reassessment import AGEING_LEVELS, Mark, due
from shared.events import LEVELS

T0 = datetime(2026, 1, 1, tzinfo=UTC)
moments = st.integers(0, 200).map(lambda h: T0 + timedelta(hours=h))
marks_st = st.lists(
    st.builds(
        Mark,
        reason=st.sampled_from(["placement_ended", "shelter_compromised", "new_incident"]),
        marked_at=moments,
    ),
    max_size=5,
)
facts = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["open", "closed"]),
        "level": st.none() | st.sampled_from(LEVELS),
        "last_assessed_at": st.none() | moments,
        "marks": marks_st,
        "now": moments.map(lambda t: t + timedelta(days=30)),
        "reassessment_days": st.integers(1, 20),
    }
)


@settings(max_examples=500, deadline=None)
@given(f=facts)
def test_the_reasons_are_sorted_once_and_due_since_is_never_after_now(f):
    d = due(**f)
    if d is not None:
        assert d.reasons == sorted(set(d.reasons))
        assert d.since <= f["now"]


@settings(max_examples=300, deadline=None)
@given(f=facts)
def test_a_closed_case_is_never_due(f):
    assert due(**{**f, "status": "closed"}) is None


@settings(max_examples=500, deadline=None)
@given(f=facts)
def test_a_newer_assessment_clears_every_mark(f):
    newest = max([m.marked_at for m in f["marks"]], default=T0)
    d = due(**{**f, "status": "open", "last_assessed_at": newest, "now": newest + timedelta(hours=1)})
    assert d is None  # no mark is newer, and an hour-old assessment has not aged


@settings(max_examples=500, deadline=None)
@given(f=facts)
def test_without_an_assessment_every_mark_counts_from_its_time(f):
    d = due(**{**f, "status": "open", "last_assessed_at": None})
    if not f["marks"]:
        assert d is None
    else:
        assert d is not None and set(d.reasons) == {m.reason for m in f["marks"]}
        assert d.since == min(m.marked_at for m in f["marks"])


@settings(max_examples=500, deadline=None)
@given(f=facts, later=st.integers(0, 1000))
def test_a_due_case_stays_due_as_time_passes(f, later):
    before = due(**f)
    after = due(**{**f, "now": f["now"] + timedelta(hours=later)})
    if before is not None:
        assert after is not None and set(before.reasons) <= set(after.reasons)
        assert after.since <= before.since


@settings(max_examples=500, deadline=None)
@given(f=facts)
def test_only_a_high_or_extreme_level_ages(f):
    d = due(**{**f, "status": "open", "marks": []})
    last, days = f["last_assessed_at"], f["reassessment_days"]
    aged = f["level"] in AGEING_LEVELS and last is not None and last + timedelta(days=days) < f["now"]
    assert (d is not None) == aged
    if d is not None:
        assert d.reasons == ["assessment_aged"] and d.since == last + timedelta(days=days)


def test_worked_example():
    assessed = T0 + timedelta(days=1)
    marks = [
        Mark("placement_ended", T0),  # before the assessment: cleared by it
        Mark("shelter_compromised", assessed + timedelta(hours=3)),
        Mark("new_incident", assessed + timedelta(hours=5)),
    ]
    d = due(
        status="open",
        level="high",
        last_assessed_at=assessed,
        marks=marks,
        now=assessed + timedelta(days=31),
        reassessment_days=30,
    )
    assert d is not None
    assert d.reasons == ["assessment_aged", "new_incident", "shelter_compromised"]
    assert d.since == assessed + timedelta(hours=3)
