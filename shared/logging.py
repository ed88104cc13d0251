"""structlog JSON logging with request, correlation and case ids bound per request/event.

Personal data must never be logged. Code should not pass it in the first place; the
``_scrub`` processor is the second line of defence for keys that smell of it.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import msgspec
import structlog
from structlog.contextvars import bind_contextvars, bound_contextvars, clear_contextvars, get_contextvars

__all__ = ["bind_contextvars", "bound_contextvars", "clear_contextvars", "configure_logging", "get_logger"]

_PII_KEYS = frozenset(
    {
        "name",
        "full_name",
        "contacts",
        "contact",
        "phone",
        "email",
        "address",
        "notes",
        "personal",
        "organization",
        "payee_name",
        "authorization",
        "token",
    }
)


def _scrub(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key in list(event_dict):
        if key.lower() in _PII_KEYS:
            event_dict[key] = "[redacted]"
    return event_dict


_encoder = msgspec.json.Encoder()


def _dumps(obj: Any, **_: Any) -> str:
    # Every request logs a line; msgspec is several times faster than json.dumps here.
    return _encoder.encode(obj).decode()


class _StderrLogger:
    """Writes each line to whatever ``sys.stderr`` is now (test capture swaps it)."""

    def msg(self, message: str) -> None:
        stream = sys.stderr
        stream.write(message + "\n")
        stream.flush()

    log = debug = info = warn = warning = error = critical = exception = fatal = msg


def _logger_factory(*_: Any) -> _StderrLogger:
    return _StderrLogger()


def configure_logging(service: str, *, level: str = "info", json: bool = True) -> None:
    numeric = logging.getLevelName(level.upper())
    processors: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _scrub,
        structlog.processors.format_exc_info,
    ]
    renderer = (
        structlog.processors.JSONRenderer(serializer=_dumps)
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*processors, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=_logger_factory,
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.bind_contextvars(service=service)
    # Quiet the libraries' own stdlib loggers; uvicorn's access log is replaced by ours.
    logging.basicConfig(level=max(numeric, logging.WARNING), stream=sys.stderr)


def get_logger(name: str | None = None) -> Any:
    return structlog.get_logger(name)


def current_context() -> dict[str, Any]:
    return get_contextvars()
