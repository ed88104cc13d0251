"""Retention of a case's personal data (issue 14; Mexico's LFPDPPP: blocking, then deletion).

A case's personal data goes through three states, never back:

- ``active``: readable by risk analysts (every read audited);
- ``blocked``: the case has been closed for ``block_days``; only an admin may read it, with a
  reason code, and the read is audited (the LFPDPPP's *bloqueo*: kept only to answer for
  what was done with it);
- ``erased``: ``erase_days`` after blocking (or at once, on an erasure request), the
  ciphertexts are deleted in every service that holds any.

The pure rule: given when the case was closed and blocked, and now, what the next run does.
The case's pseudonymous history (levels, steps, amounts, the registry of attacks) is never
part of this: statistics stay the same.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

State = Literal["active", "blocked", "erased"]
STATES: tuple[State, ...] = ("active", "blocked", "erased")
Action = Literal["keep", "block", "erase"]
# Order of the actions: a later ``now`` never gives an earlier one.
RANK: dict[Action, int] = {"keep": 0, "block": 1, "erase": 2}

# Why an erasure request was made (a code: the audit log and the event carry no free text).
ERASURE_REASONS = ("data_subject_request", "consent_withdrawn", "safety", "court_order", "other")
# Why an admin reads blocked data: the only uses the LFPDPPP leaves for blocked data.
BLOCKED_READ_REASONS = (
    "authority_request",
    "legal_claim",
    "data_subject_request",
    "liability_review",
    "other",
)
# The reason an erasure by the retention periods carries.
RETENTION_PERIOD = "retention_period"


def decide(
    *,
    state: State,
    closed_at: datetime | None,
    blocked_at: datetime | None,
    now: datetime,
    block_days: int,
    erase_days: int,
) -> Action:
    """What a retention run does to one case now.

    - an open case (``closed_at`` None) is kept, whatever its age;
    - active personal data is blocked once the case has been closed ``block_days``; if
      ``erase_days`` is 0 the same run erases it too (``erase``: block, then erase);
    - blocked data is erased ``erase_days`` after it was blocked;
    - erased data has nothing left to do.
    """
    if block_days < 0 or erase_days < 0:
        raise ValueError("retention periods are whole days, zero or more")
    if state == "erased" or closed_at is None:
        return "keep"
    if state == "active":
        if now - closed_at < timedelta(days=block_days):
            return "keep"
        return "erase" if erase_days == 0 else "block"
    # blocked: the erasure period runs from the blocking (a blocked row always has its time;
    # one without is treated as blocked now, so it waits the full period).
    since = blocked_at if blocked_at is not None else now
    return "erase" if now - since >= timedelta(days=erase_days) else "keep"


def next_state(state: State, action: Action) -> State:
    """The state after ``action`` (keep changes nothing)."""
    if action == "keep":
        return state
    return "blocked" if action == "block" else "erased"
