"""The timeline's rules (domain/timeline.py): causal order, durations, summaries.

DESIGN.md: a case's timeline is in causal order; a step never precedes the step that
caused it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from services.risk.domain.timeline import StepRow, build_steps, cases_of, causal_order, summary_for
from shared.events import (
    PAYLOAD_TYPES,
    Party,
    PlacementHeld,
    PlacementRequested,
    ShelterCompromised,
    new_event,
)
from tests.strategies import from_type

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def row(n: int, seconds: int, cause: int | None = None) -> StepRow:
    return StepRow(
        id=uuid.UUID(int=n),
        type=f"step.{n}",
        occurred_at=T0 + timedelta(seconds=seconds),
        service="shelters",
        summary=f"step {n}",
        causation_id=uuid.UUID(int=cause) if cause is not None else None,
    )


@st.composite
def timelines(draw, *, acyclic: bool = True) -> list[StepRow]:
    """Steps at random times (ties included), each caused by nothing, by a step outside the
    timeline, or by another step. Acyclic: a step is caused only by one that came before it
    in a hidden true order, while its stamp may be earlier than its cause's (another clock)."""
    n = draw(st.integers(0, 12))
    times = draw(st.lists(st.integers(0, 20), min_size=n, max_size=n))
    rows = []
    for i in range(n):
        others = list(range(1, i + 1)) if acyclic else [j for j in range(1, n + 1) if j != i + 1]
        choices = [st.none(), st.just(1000 + i)]  # no cause; a cause in another case's timeline
        if others:
            choices.append(st.sampled_from(others))
        rows.append(row(i + 1, times[i], draw(st.one_of(*choices))))
    return draw(st.permutations(rows))


def ids(rows) -> list[uuid.UUID]:
    return [r.id for r in rows]


def position_of(rows) -> dict[uuid.UUID, int]:
    return {r.id: p for p, r in enumerate(rows)}


def time_order(rows) -> list[StepRow]:
    return sorted(rows, key=lambda r: r.occurred_at)


@settings(max_examples=500, deadline=None)
@given(rows=timelines())
def test_no_step_precedes_its_cause_and_steps_without_causes_keep_time_order(rows):
    ordered = causal_order(rows)
    assert sorted(ids(ordered)) == sorted(ids(rows))  # a permutation: nothing lost, nothing added
    where = position_of(ordered)
    for r in rows:
        if r.causation_id in where:
            assert where[r.causation_id] < where[r.id], (r, ordered)
    present = set(where)
    roots = [r for r in ordered if r.causation_id not in present]
    assert ids(roots) == ids(time_order([r for r in rows if r.causation_id not in present]))


@settings(max_examples=300, deadline=None)
@given(rows=timelines())
def test_when_every_cause_is_stamped_first_the_order_is_the_time_order(rows):
    by_id = {r.id: r for r in rows}
    honest = [
        r for r in rows if r.causation_id not in by_id or by_id[r.causation_id].occurred_at < r.occurred_at
    ]
    assert ids(causal_order(honest)) == ids(time_order(honest))


@settings(max_examples=300, deadline=None)
@given(rows=timelines(acyclic=False))
def test_a_cycle_of_causes_hides_no_step(rows):
    ordered = causal_order(rows)
    assert sorted(ids(ordered)) == sorted(ids(rows))


@settings(max_examples=300, deadline=None)
@given(rows=timelines(), opened_late=st.integers(0, 5))
def test_durations_are_measured_from_the_opening_and_never_negative(rows, opened_late):
    opened_at = T0 + timedelta(seconds=opened_late)
    steps = build_steps(opened_at, rows)
    assert [s.type for s in steps] == [r.type for r in causal_order(rows)]
    for s in steps:
        assert s.elapsed_seconds == (s.occurred_at - opened_at).total_seconds()
        assert s.since_previous_seconds >= 0


def test_the_relocation_comes_after_the_compromise_that_caused_it():
    """The bug of issue 9: shelters wrote the relocations first and stamped the compromise later."""
    opened, assessed, compromise, requested, held = (
        row(1, 0),
        row(2, 5),
        row(3, 60),
        row(4, 58, cause=3),
        row(5, 59, cause=4),
    )
    steps = build_steps(T0, [opened, assessed, requested, held, compromise])
    assert [s.type for s in steps] == ["step.1", "step.2", "step.3", "step.4", "step.5"]
    assert [s.since_previous_seconds for s in steps] == [0, 5, 55, 0, 0]
    assert steps[3].elapsed_seconds == 58  # the stamps themselves are shown as they are


def test_an_event_concerns_the_case_on_its_envelope_and_those_its_payload_names():
    cases = [uuid.uuid4(), uuid.uuid4()]
    payload = ShelterCompromised(
        shelter_id=uuid.uuid4(), country="GT", region="GT-17", affected_case_ids=[*cases, cases[0]]
    )
    assert cases_of(new_event(payload, producer="shelters", case_id=None)) == cases
    assert cases_of(new_event(payload, producer="shelters", case_id=cases[1])) == [cases[1], cases[0]]
    request = PlacementRequested(placement_id=uuid.uuid4(), country="GT", party=Party(adults=2))
    assert cases_of(new_event(request, producer="shelters", case_id=cases[0])) == [cases[0]]


@settings(max_examples=300, deadline=None)
@given(data=st.data(), payload_type=st.sampled_from(PAYLOAD_TYPES))
def test_every_event_has_a_one_line_summary(data, payload_type):
    payload = data.draw(from_type(payload_type))
    event = new_event(payload, producer="shelters", case_id=uuid.uuid4())
    summary = summary_for(event)
    assert summary and "\n" not in summary


def test_summaries_say_what_happened():
    held = new_event(
        PlacementHeld(
            placement_id=uuid.uuid4(), shelter_id=uuid.uuid4(), shelter_code="CASA-3", country="GT",
            region="GT-17", beds=3, hold_expires_at=T0,
        ),
        producer="shelters",
        case_id=uuid.uuid4(),
    )  # fmt: skip
    assert summary_for(held) == "3 beds held in shelter CASA-3 until 2026-05-01 12:00 UTC"
    # A type this build does not know yet still says what happened, in its own words.
    assert summary_for(msgspec.structs.replace(held, type="amparo.shelters.bed.painted")) == "bed painted"


def test_the_timeline_shows_an_updated_application_and_a_follow_up_with_its_link():
    from shared.events import ApplicationFollowUpOpened, ApplicationUpdated, GrantLine, Money

    app_id, case_id = uuid.uuid4(), uuid.uuid4()
    lines = [GrantLine(purpose="relocation", amount=Money(120_000, "USD"))]
    updated = ApplicationUpdated(
        application_id=app_id,
        revision=1,
        cause="assessment",
        fund_id=None,
        track="emergency",
        lines=lines,
        requested=Money(120_000, "USD"),
    )
    assert summary_for(new_event(updated, producer="funds", case_id=case_id)) == (
        "grant application updated (by the new assessment): emergency, 1200.00 USD"
    )
    follow = ApplicationFollowUpOpened(
        application_id=uuid.uuid4(),
        follows_id=app_id,
        assessment_id=uuid.uuid4(),
        fund_id=None,
        track="ordinary",
        country="GT",
        lines=lines,
        requested=Money(120_000, "USD"),
    )
    assert summary_for(new_event(follow, producer="funds", case_id=case_id)) == (
        f"follow-up ordinary grant application opened for 1200.00 USD, follows {app_id}"
    )
