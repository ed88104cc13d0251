"""How `make run` keeps its processes alive: services, nats-server and PostgreSQL are
started again when they die, with a growing pause while they keep dying."""

from __future__ import annotations

from deploy.embedded import StartError


def _say(line: str) -> None:
    print(line, flush=True)


class Backoff:
    """When to start a dead process again: at once the first time, then after 0.5 s, 1 s,
    2 s ... up to 30 s while it keeps dying (or keeps failing to start); a process that
    stayed up 30 s is restarted at once again."""

    STEADY_SECONDS = 30.0
    CAP_SECONDS = 30.0

    def __init__(self) -> None:
        self.failures = 0
        self.next_try = 0.0
        self.started = 0.0

    def running(self, now: float) -> None:
        if self.failures and now - self.started >= self.STEADY_SECONDS:
            self.failures = 0

    def due(self, now: float) -> bool:
        return now >= self.next_try

    def attempted(self, now: float) -> None:
        self.failures += 1
        self.started = now
        self.next_try = now + min(self.CAP_SECONDS, 0.5 * 2 ** (self.failures - 1))


def supervise(name: str, what: str, backoff: Backoff, now: float, restart) -> None:
    """Start ``name`` again when its back-off allows; one line per attempt."""
    if not backoff.due(now):
        return
    _say(f"amparo: {name} {what}; restarting")
    backoff.attempted(now)
    try:
        restart()
    except Exception as exc:  # StartError says why in one line; anything else by its class
        reason = (
            str(exc) if isinstance(exc, StartError) else f"{name} did not start again: {type(exc).__name__}"
        )
        _say(f"amparo: {reason}; trying again in {backoff.next_try - now:.1f} s")
