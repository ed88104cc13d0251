"""Helpers for the end-to-end tests: the stack lives in deploy/stack.py."""

from __future__ import annotations

import time

from deploy.stack import Stack

__all__ = ["Stack", "poll"]


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
