"""When a decision or a ratification is due, and what is overdue or flagged.

A fund's policy may set its own hours; otherwise the service's config does (the field
names are the same in both)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from services.funds.config import FundsConfig
from services.funds.domain.committee import awaits_ratification
from services.funds.domain.vocabulary import UNDECIDED


def _hours(key: str, policy: Mapping[str, Any] | None, config: FundsConfig) -> float:
    own = policy.get(key) if policy is not None else None
    return own or getattr(config, key)


def decision_due(
    opened_at: datetime, track: str, policy: Mapping[str, Any] | None, config: FundsConfig
) -> datetime:
    key = "emergency_decision_hours" if track == "emergency" else "decision_hours"
    return opened_at + timedelta(hours=_hours(key, policy, config))


def ratification_due(
    approved_at: datetime, policy: Mapping[str, Any] | None, config: FundsConfig
) -> datetime:
    return approved_at + timedelta(hours=_hours("ratification_hours", policy, config))


def is_overdue(status: str, due_at: datetime, now: datetime) -> bool:
    return status in UNDECIDED and due_at < now


def flag_reason(
    status: str,
    ratified: bool | None,
    stored_reason: str | None,
    ratification_due_at: datetime | None,
    now: datetime,
) -> str | None:
    """Why an emergency approval needs a fund administrator's attention, if it does:
    the committee refused to ratify it, or did not ratify it in time."""
    if not awaits_ratification(status, ratified):
        return None
    if stored_reason:
        return stored_reason
    if ratification_due_at is not None and ratification_due_at < now:
        return "not_ratified_in_time"
    return None
