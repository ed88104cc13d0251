"""Consent per purpose: which purposes a defender's consents cover at a given time, and
what the other services may therefore do automatically after an assessment.

A consent is given on a day (``given_at``), may end on a day (``until``, inclusive) and
may be revoked at an instant (``revoked_at``). Days are UTC days. The rule that protects
her: no automatic hold without ``shelters`` and no automatic grant application without
``funds`` (DESIGN.md, invariants); risk writes the purposes valid at the assessment's
time into ``AssessmentRecorded.shared_with`` and the consumers act only on what it lists.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from shared.events import CONSENT_PURPOSES, ConsentPurpose, MeasureKind

# The words the analyst, the timeline and the docs use for each purpose.
PURPOSE_WORDS: dict[ConsentPurpose, str] = {
    "shelters": "share with shelters",
    "funds": "share with the funds",
    "statistics": "count in the registry's statistics",
    "contact": "be contacted by the network",
}


@dataclass(frozen=True, slots=True)
class Consent:
    purpose: ConsentPurpose
    given_at: date
    until: date | None = None
    revoked_at: datetime | None = None


def valid_at(consent: Consent, at: datetime) -> bool:
    """Given on or before ``at``'s day, not ended before it, not revoked by then."""
    day = at.date()
    if consent.given_at > day or (consent.until is not None and consent.until < day):
        return False
    return consent.revoked_at is None or consent.revoked_at > at


def current(consent: Consent, today: date) -> bool:
    """Still standing: not revoked and not ended (what a revocation may revoke)."""
    return consent.revoked_at is None and (consent.until is None or consent.until >= today)


def shared_with(consents: Iterable[Consent], at: datetime) -> list[ConsentPurpose]:
    """The purposes covered at ``at``, in the vocabulary's order."""
    valid = {c.purpose for c in consents if valid_at(c, at)}
    return [p for p in CONSENT_PURPOSES if p in valid]


def purpose_of_measure(measure: MeasureKind) -> ConsentPurpose:
    """Which consent lets another service act on a measure by itself: shelters hold beds
    for ``shelter``; every other measure is paid by a fund (funds' MEASURE_PURPOSES)."""
    return "shelters" if measure == "shelter" else "funds"


# What each automatic action is called when it does not happen.
SKIPPED_ACTION: dict[ConsentPurpose, str] = {
    "shelters": "no hold requested",
    "funds": "no grant application opened",
}


def skipped(measures: Iterable[MeasureKind], shared: Iterable[ConsentPurpose]) -> list[ConsentPurpose]:
    """The purposes whose automatic action the measures call for but her consents do not
    allow, in the vocabulary's order (empty: the others may act on every measure)."""
    allowed = set(shared)
    needed = {purpose_of_measure(m) for m in measures}
    return [p for p in CONSENT_PURPOSES if p in needed and p not in allowed]


def skipped_reason(purpose: ConsentPurpose) -> str:
    """e.g. "no hold requested: no consent to share with shelters" (no personal data)."""
    return f"{SKIPPED_ACTION[purpose]}: no consent to {PURPOSE_WORDS[purpose]}"


def may_act(purpose: ConsentPurpose, shared: Iterable[ConsentPurpose]) -> bool:
    """The consumer's side of the rule: act for ``purpose`` only with the proof in the event."""
    return purpose in set(shared)
