"""Helpers for the end-to-end tests: the stack lives in deploy/stack.py."""

from __future__ import annotations

import time

from deploy.stack import Stack

__all__ = ["Stack", "consent", "poll"]


def poll(probe, *, timeout: float = 30.0, interval: float = 0.1):
    """Call ``probe`` until it returns something truthy; fail at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except AssertionError as exc:
            last = exc
        time.sleep(interval)
    raise AssertionError(f"not reached within {timeout}s; last: {last!r}")


def consent(analyst, case_id: str, *purposes: str) -> None:
    """Record with her, through risk's API, her consent to each purpose (shelters hold
    beds and funds open applications by themselves only with it)."""
    for purpose in purposes:
        r = analyst.post(f"/cases/{case_id}/consents", json={"purpose": purpose})
        assert r.status_code == 201, r.text
