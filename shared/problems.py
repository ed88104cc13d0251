"""RFC 9457 problem details for every error a service can return, mapped in one place.

Use cases raise ``shared.errors`` (domain errors, no HTTP); ``DOMAIN_STATUS`` below is
the only place that says which status each one is. Authentication raises
``Unauthorized`` (the one HTTP-only problem). Every other exception (routing,
validation, the unexpected) becomes ``application/problem+json`` here too.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import asyncpg
import nats.errors
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsException

from shared import db, errors
from shared.logging import get_logger
from shared.validation import describe_parameter_errors, summary

log = get_logger(__name__)
MEDIA_TYPE = "application/problem+json"


class Problem(ProblemDetailsException):
    status: int = 400
    code: str = "request.invalid"

    def __init__(self, detail: str, *, extra: dict[str, Any] | None = None, headers=None) -> None:
        super().__init__(
            detail=detail,
            status_code=self.status,
            title=HTTPStatus(self.status).phrase,
            extra=extra,
            headers=headers,
        )


class Unauthorized(Problem):
    """No valid token: raised by authentication, outside use cases."""

    status = 401
    code = "auth.unauthorized"


class BadRequest(Problem):
    """The request itself is malformed or breaks its schema (raised by the HTTP edge)."""

    status = 400


class UnsupportedMediaType(Problem):
    status = 415
    code = "request.unsupported_media_type"


class RequestTimeout(Problem):
    """The client did not finish sending its body in time."""

    status = 408
    code = "request.timeout"


# Which status each domain refusal is: the one mapping for all services.
DOMAIN_STATUS: dict[type[errors.DomainError], int] = {
    errors.BadInput: 400,
    errors.NotAllowed: 403,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Invalid: 422,
    errors.Unavailable: 503,
}


def _problem(status: int, detail: str, extra: dict[str, Any] | None = None, headers=None) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": HTTPStatus(status).phrase, "status": status}
    body["detail"] = detail
    if extra:
        body.update(extra)
    return Response(body, status_code=status, media_type=MEDIA_TYPE, headers=headers)


def problem_handler(_: Request, exc: ProblemDetailsException) -> Response:
    extra = exc.extra if isinstance(exc.extra, dict) else ({"errors": exc.extra} if exc.extra else {})
    return _problem(
        exc.status_code, exc.detail, {"code": getattr(exc, "code", "refused"), **extra}, exc.headers
    )


def domain_handler(_: Request, exc: errors.DomainError) -> Response:
    status = next((code for cls, code in DOMAIN_STATUS.items() if isinstance(exc, cls)), 400)
    extra = {"code": exc.code, **exc.extra}
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, errors.Unavailable) else None
    return _problem(status, exc.detail, extra, headers)


def validation_handler(request: Request, exc: ValidationException) -> Response:
    # Litestar's detail quotes the full URL and its messages may quote the submitted value
    # (``Invalid enum value 'Rosa Elena'``): name the parameter and the rule, never the value.
    errors = describe_parameter_errors(request, exc)
    code = (
        "request.invalid_body" if any(e["source"] == "body" for e in errors) else "request.invalid_parameter"
    )
    detail = summary(errors) if errors else "the request is not valid"
    return _problem(400, detail, {"code": code, "errors": errors} if errors else {"code": code})


# What a routing or protocol refusal says: Litestar's own details may quote the path.
_HTTP_DETAIL = {
    404: ("route.not_found", "nothing here: check the path (ids are UUIDs); /schema lists the routes"),
    405: ("route.method_not_allowed", "this path does not take this method; /schema lists the routes"),
    413: ("request.too_large", "the body is too large"),
}


def http_handler(_: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    code, detail = _HTTP_DETAIL.get(status) or (f"http.{status}", HTTPStatus(status).phrase)
    if status >= 500:
        log.error("http.server_error", status=status, error=type(exc).__name__)
    return _problem(status, detail, {"code": code}, exc.headers)


def data_error_handler(_: Request, exc: Exception) -> Response:
    # SQLSTATE class 22 (a NUL byte in text, a number out of range, ...) and date
    # arithmetic past year 9999 are bad input that got past validation: the client's
    # to fix, so a 400 that says which kind, never the value itself.
    kind = "a text contains a character that cannot be stored (such as NUL)"
    if isinstance(exc, OverflowError) or getattr(exc, "sqlstate", "") in ("22003", "22008"):
        kind = "a number or date is out of range"
    return _problem(400, f"the request is not valid: {kind}")


# A dependency that is away (PostgreSQL restarting or out of connections, NATS
# reconnecting, a timeout) or a transaction that lost every retry: the same request may
# well succeed in a moment, so a 503 with Retry-After, never a 500. PostgreSQL's list is
# ``shared.db.AWAY``, the same the consumer and the relay retry without counting.
AWAY: tuple[type[BaseException], ...] = (
    *db.AWAY,
    nats.errors.ConnectionClosedError,
    nats.errors.NoServersError,
    nats.errors.ConnectionReconnectingError,
    nats.errors.StaleConnectionError,
    nats.errors.NoRespondersError,
)
RETRY_AFTER_SECONDS = 5


def away_handler(request: Request, exc: Exception) -> Response:
    log.warning("http.dependency_away", error=type(exc).__name__, path=request.url.path)
    return _problem(
        503,
        "a service this one depends on is away for a moment; retry in a few seconds",
        {"code": "unavailable"},
        {"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _all_away(exc: BaseException) -> bool:
    if isinstance(exc, BaseExceptionGroup):
        return all(_all_away(inner) for inner in exc.exceptions)
    return isinstance(exc, AWAY)


def internal_handler(request: Request, exc: Exception) -> Response:
    # Work done concurrently (a task group) fails as a group: still an outage if every
    # part of it is one.
    if isinstance(exc, BaseExceptionGroup) and _all_away(exc):
        return away_handler(request, exc)
    log.exception("http.unhandled_error", error=type(exc).__name__, path=request.url.path)
    return _problem(500, "internal error; it has been logged")


EXCEPTION_HANDLERS = {
    errors.DomainError: domain_handler,
    ProblemDetailsException: problem_handler,
    ValidationException: validation_handler,
    HTTPException: http_handler,
    asyncpg.DataError: data_error_handler,
    OverflowError: data_error_handler,
    **dict.fromkeys(AWAY, away_handler),
    Exception: internal_handler,
}
