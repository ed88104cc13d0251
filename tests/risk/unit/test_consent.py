"""The consent rule (DESIGN.md invariant): no automatic hold or grant application for a
case without the matching consent, valid at the assessment's time."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from services.risk.domain import consent as rules
from shared.events import CONSENT_PURPOSES, MeasureKind

MEASURES: tuple[MeasureKind, ...] = MeasureKind.__args__
DAY0 = date(2026, 1, 1)
days = st.integers(0, 40).map(lambda n: DAY0 + timedelta(days=n))
instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 2, 15), timezones=st.just(UTC)
)


@st.composite
def consents(draw) -> rules.Consent:
    given_at = draw(days)
    until = draw(st.none() | st.integers(0, 20).map(lambda n: given_at + timedelta(days=n)))
    revoked = draw(st.none() | instants)
    return rules.Consent(purpose=draw(st.sampled_from(CONSENT_PURPOSES)), given_at=given_at, until=until,
                         revoked_at=revoked)  # fmt: skip


def covered(cs: list[rules.Consent], purpose: str, at: datetime) -> bool:
    """The model: a consent of the purpose given by that day, not ended, not yet revoked."""
    return any(
        c.purpose == purpose
        and c.given_at <= at.date()
        and (c.until is None or at.date() <= c.until)
        and (c.revoked_at is None or at < c.revoked_at)
        for c in cs
    )


@given(cs=st.lists(consents(), max_size=8), at=instants)
def test_shared_with_is_exactly_the_purposes_covered_at_that_time(cs, at):
    shared = rules.shared_with(cs, at)
    assert shared == [p for p in CONSENT_PURPOSES if covered(cs, p, at)]


@given(
    cs=st.lists(consents(), max_size=8),
    at=instants,
    measures=st.lists(st.sampled_from(MEASURES), unique=True),
)
def test_no_automatic_hold_or_application_without_the_matching_consent(cs, at, measures):
    # Risk's decision, carried by AssessmentRecorded.shared_with ...
    shared = rules.shared_with(cs, at)
    # ... and what shelters and funds do with it (their handlers' one condition).
    holds = "shelter" in measures and rules.may_act("shelters", shared)
    applies = any(m != "shelter" for m in measures) and rules.may_act("funds", shared)
    if holds:
        assert covered(cs, "shelters", at)
    if applies:
        assert covered(cs, "funds", at)
    # Whatever the measures call for and is not done is said, with its reason.
    skipped = rules.skipped(measures, shared)
    assert ("shelters" in skipped) == ("shelter" in measures and not holds)
    assert ("funds" in skipped) == (any(m != "shelter" for m in measures) and not applies)
    for purpose in skipped:
        assert "no consent" in rules.skipped_reason(purpose)


@given(c=consents(), at=instants)
def test_a_revoked_consent_never_covers_anything_after_its_revocation(c, at):
    if c.revoked_at is not None and at >= c.revoked_at:
        assert not rules.valid_at(c, at)
        assert not rules.current(c, at.date())


def test_the_reason_the_analyst_reads():
    assert rules.skipped_reason("shelters") == "no hold requested: no consent to share with shelters"
    assert rules.skipped(["shelter", "legal_grant"], ["funds"]) == ["shelters"]
    assert rules.skipped(["self_care"], []) == ["funds"]
    assert rules.skipped([], []) == []
