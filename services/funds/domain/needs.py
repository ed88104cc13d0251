"""One application per need: what a new assessment of a case does to its applications.

- The case has an undecided application: it is **updated** (its lines become the new
  assessment's purposes, less those a decided application of the case already answered;
  amounts already set for a kept purpose stay), never a second one.
- Its applications are all decided: a **follow-up** is opened, linked to the latest one,
  for the purposes no decided application of the case covered; none new: **nothing**.
- No application yet: one is **opened**.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from services.funds.domain.vocabulary import UNDECIDED

Action = Literal["open", "update", "follow_up", "nothing"]


@dataclass(frozen=True)
class Previous:
    """An application the case already has (in opening order), with its purposes."""

    id: UUID
    status: str
    purposes: frozenset[str]


@dataclass(frozen=True)
class NeedPlan:
    action: Action
    # The purposes of the application opened, updated or followed up.
    purposes: tuple[str, ...] = ()
    # The application updated, or the one a follow-up follows.
    application_id: UUID | None = None


def new_purposes(purposes: Iterable[str], covered: Iterable[str]) -> tuple[str, ...]:
    """The purposes not covered yet, in their order, without repeats."""
    done = set(covered)
    out: list[str] = []
    for p in purposes:
        if p not in done and p not in out:
            out.append(p)
    return tuple(out)


def plan(purposes: Sequence[str], previous: Sequence[Previous]) -> NeedPlan:
    """What an assessment recommending ``purposes`` does, given the case's applications
    (oldest first). An assessment without grant purposes changes nothing."""
    wanted = new_purposes(purposes, ())
    if not wanted:
        return NeedPlan("nothing")
    if not previous:
        return NeedPlan("open", wanted)
    undecided = [a for a in previous if a.status in UNDECIDED]
    # What a decided application already answered is not asked for again.
    covered = set().union(set(), *(a.purposes for a in previous if a.status not in UNDECIDED))
    fresh = new_purposes(wanted, covered)
    if not fresh:
        return NeedPlan("nothing")
    if undecided:
        return NeedPlan("update", fresh, undecided[-1].id)
    return NeedPlan("follow_up", fresh, previous[-1].id)


def revised_lines(
    purposes: Sequence[str], current: dict[str, int], price: Callable[[str], int]
) -> list[tuple[str, int]]:
    """The lines of an updated application: a purpose it already had keeps its amount when
    one was set (a fund administrator may have priced it), any other is priced by ``price``."""
    return [(p, current[p] if current.get(p, 0) > 0 else price(p)) for p in purposes]
