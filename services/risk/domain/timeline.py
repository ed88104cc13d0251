"""The case timeline: one short line per event, and the order the steps are shown in.

Summaries carry ids, codes, counts, levels and amounts, never personal data (there is
none in events, and a summary adds none).
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from shared.events import Envelope


def cases_of(event: Envelope[Any]) -> list[uuid.UUID]:
    """The cases an event is about: the envelope's, then those its payload names."""
    ids = [event.case_id] if event.case_id is not None else []
    # A compromised shelter concerns everyone placed in it; its envelope names no single case.
    for case_id in getattr(event.data, "affected_case_ids", None) or []:
        if case_id not in ids:
            ids.append(case_id)
    return ids


def summary_for(event: Envelope[Any]) -> str:
    """A short line for the timeline."""
    try:
        text = _summary(event.type, event.data)
    except (AttributeError, TypeError, ValueError):
        # A newer payload shape than this code knows: the type still says what happened.
        text = _fallback(event.type)
    # One line, whatever a code in the payload holds.
    return " ".join(text.split())


_SOURCES = {
    "api": "requested by staff",
    "assessment": "from an earlier assessment",
    "relocation": "of a relocation",
}

_REVISION_CAUSES = {
    "assessment": "by the new assessment",
    "policy": "priced by the fund's new policy",
    "pricing": "re-priced by a fund administrator",
}


def _fallback(type_: str) -> str:
    return " ".join(type_.rsplit(".", 2)[-2:]).replace("_", " ")


def _summary(type_: str, d: Any) -> str:
    match type_:
        case "amparo.shelters.placement.requested":
            return f"placement requested for {d.party.size} people (level {d.level})"
        case "amparo.shelters.placement.held":
            return (
                f"{d.beds} beds held in shelter {d.shelter_code} until {d.hold_expires_at:%Y-%m-%d %H:%M} UTC"
            )
        case "amparo.shelters.placement.waitlisted":
            return f"waitlisted in {d.country} at level {d.level}"
        case "amparo.shelters.placement.confirmed":
            return "placement confirmed"
        case "amparo.shelters.placement.checked_in":
            return "checked in at the shelter"
        case "amparo.shelters.placement.ended":
            return f"placement ended ({d.reason}); re-assessment due"
        case "amparo.shelters.placement.cancelled":
            return f"placement cancelled ({d.reason or 'no reason given'})"
        case "amparo.shelters.placement.expired":
            return "hold expired without confirmation"
        case "amparo.shelters.placement.reconciled":
            if d.outcome == "updated":
                return f"the waiting placement took the new assessment (level {d.level}, party, exclusions)"
            by = _SOURCES.get(d.source, d.source)
            return (
                f"the new assessment (level {d.level}) found a {d.status} placement {by}: "
                "kept as it is and flagged for staff to review"
            )
        case "amparo.shelters.shelter.compromised":
            return "her shelter was reported compromised; relocation and re-assessment due"
        case "amparo.funds.application.opened":
            return f"{d.track} grant application opened for {_money(d.requested)}"
        case "amparo.funds.application.approved":
            return f"grant approved: {_money(d.approved)}" + (
                "" if d.ratified else " (awaiting ratification)"
            )
        case "amparo.funds.application.rejected":
            return "grant application rejected"
        case "amparo.funds.application.info_requested":
            return "the committee asked for more information"
        case "amparo.funds.application.overdue":
            return f"{d.track} grant decision overdue since {d.due_at:%Y-%m-%d %H:%M} UTC"
        case "amparo.funds.disbursement.made":
            return f"tranche {d.tranche} paid: {_money(d.amount)} (total {_money(d.paid_total)})"
        case "amparo.funds.application.updated":
            why = _REVISION_CAUSES.get(d.cause, d.cause)
            return f"grant application updated ({why}): {d.track}, {_money(d.requested)}"
        case "amparo.funds.application.follow_up_opened":
            return (
                f"follow-up {d.track} grant application opened for {_money(d.requested)}, "
                f"follows {d.follows_id}"
            )
        case "amparo.funds.application.withdrawn":
            return "grant application withdrawn: her consent to share with the funds was revoked"
        case "amparo.funds.application.closed":
            return f"grant closed: paid {_money(d.paid)}, released {_money(d.released)}"
    return _fallback(type_)


def _money(m: Any) -> str:
    # Minor units in integers: 12345 -> "123.45" (a negative amount never reaches a timeline).
    return f"{m.amount // 100}.{m.amount % 100:02d} {m.currency}"


class StepRow(msgspec.Struct, frozen=True, kw_only=True):
    """A stored step: its id is the id of the event (or incident) it records."""

    id: uuid.UUID
    type: str
    occurred_at: datetime
    service: str
    summary: str
    causation_id: uuid.UUID | None = None


class TimelineStep(msgspec.Struct, frozen=True, kw_only=True):
    """A step as shown: measured from the opening of the case, and from the latest step
    before it (never negative)."""

    type: str
    occurred_at: datetime
    elapsed_seconds: float
    since_previous_seconds: float
    service: str
    summary: str


def causal_order(rows: Sequence[StepRow]) -> list[StepRow]:
    """Time order, except that a step never comes before the step that caused it.

    Producers stamp events with their own clocks and write them in their own order (a
    relocation can be stamped before the compromise that caused it), so time alone is not
    enough. A topological sort that always takes the earliest step that is ready: a step
    whose cause is in this timeline waits for it and then comes as early as its time
    allows; steps with no cause here keep their time order. Ties in time keep the order of
    ``rows``. A cycle of causes (only a broken producer could make one) must not hide
    steps: its earliest step is then taken as if its cause were absent.
    """
    n = len(rows)
    by_time = sorted(range(n), key=lambda i: rows[i].occurred_at)
    position = {i: p for p, i in enumerate(by_time)}
    index = {row.id: i for i, row in enumerate(rows)}
    effects: dict[int, list[int]] = {}
    waiting = [False] * n
    for i, row in enumerate(rows):
        cause = index.get(row.causation_id) if row.causation_id is not None else None
        if cause is not None and cause != i:
            effects.setdefault(cause, []).append(i)
            waiting[i] = True
    ready = [position[i] for i in range(n) if not waiting[i]]
    heapq.heapify(ready)
    taken = [False] * n
    ordered: list[StepRow] = []
    while len(ordered) < n:
        if not ready:
            heapq.heappush(ready, next(p for p, i in enumerate(by_time) if not taken[i]))
        i = by_time[heapq.heappop(ready)]
        if taken[i]:
            continue
        taken[i] = True
        ordered.append(rows[i])
        for effect in effects.get(i, ()):
            if not taken[effect]:
                heapq.heappush(ready, position[effect])
    return ordered


def build_steps(opened_at: datetime, rows: Sequence[StepRow]) -> list[TimelineStep]:
    """The steps in causal order, each measured from the opening of the case and from the
    step before. A step shown after its cause though stamped earlier took no time since
    it: the clocks of two producers disagree, a duration is never negative."""
    steps: list[TimelineStep] = []
    previous = opened_at
    for row in causal_order(rows):
        steps.append(
            TimelineStep(
                type=row.type,
                occurred_at=row.occurred_at,
                elapsed_seconds=round((row.occurred_at - opened_at).total_seconds(), 3),
                since_previous_seconds=max(0.0, round((row.occurred_at - previous).total_seconds(), 3)),
                service=row.service,
                summary=row.summary,
            )
        )
        previous = max(previous, row.occurred_at)
    return steps
