"""Domain errors: what a use case raises when it refuses.

They carry no HTTP: ``shared.problems`` maps each class to one status, once, for every
service. The ``detail`` is shown to the caller as it is, so it is written by us and never
quotes what the caller sent (a name typed in the wrong field is still personal data).
``code`` is a stable, machine-readable reason (``placement.no_room``) that clients and
the console translate; ``extra`` may add safe facts (counts, allowed values, ids we made).
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base of every refusal a use case can make."""

    default_code: ClassVar[str] = "refused"

    def __init__(self, detail: str, *, code: str | None = None, extra: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code or self.default_code
        self.extra = extra or {}


class BadInput(DomainError):
    """Malformed input that the request schema could not catch (400)."""

    default_code = "bad_input"


class NotFound(DomainError):
    """No such thing, or not one the caller may know about (404)."""

    default_code = "not_found"


class NotAllowed(DomainError):
    """The caller's role or countries do not allow this (403)."""

    default_code = "not_allowed"


class Conflict(DomainError):
    """The thing is not in a state that allows this: no room, already decided, ... (409)."""

    default_code = "conflict"


class Invalid(DomainError):
    """Well-formed but breaks a rule: over the ceiling, unknown indicator, ... (422)."""

    default_code = "invalid"


class Unavailable(DomainError):
    """A dependency is away; the same request may succeed later (503 with Retry-After)."""

    default_code = "unavailable"

    def __init__(self, detail: str, *, retry_after: int = 5, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.retry_after = retry_after
