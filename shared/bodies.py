"""Request bodies, decoded strictly and once, before Litestar's own (lax) conversion.

Litestar converts a body with ``strict=False``: ``"accessible": 0`` would be a boolean and
``"start": 0`` a date-time. Here every route that takes ``data`` gets its body checked
first: JSON only (415 otherwise), decoded with ``msgspec.json.Decoder(<data type>,
strict=True)``; the decoded value is handed to Litestar, which passes it through as it
is. A body that fails is a 400 naming EVERY invalid field by its JSON path (msgspec stops
at the first, so the body is checked again against the type's JSON schema), with
messages composed here from the rule that failed: never a value, a key or a name the
client sent (any of them may be personal data).
"""

from __future__ import annotations

import functools
from typing import Any

import msgspec
from litestar import Request
from litestar.utils.scope.state import ScopeState

from shared.problems import BadRequest, UnsupportedMediaType
from shared.validation import describe_schema_errors, from_msgspec, summary

__all__ = ["body_spec", "decode_body", "is_json"]


def is_json(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class BodySpec(msgspec.Struct, frozen=True):
    type: Any
    optional: bool


def body_spec(handler: Any) -> BodySpec | None:
    """What body a route takes (None: it takes none); Litestar keeps the parsed signature."""
    param = handler.parsed_fn_signature.parameters.get("data")
    if param is None:
        return None
    return BodySpec(type=param.annotation, optional=param.is_optional or param.has_default)


@functools.cache
def _decoder(tp: Any) -> msgspec.json.Decoder:
    return msgspec.json.Decoder(tp, strict=True)


async def decode_body(request: Request) -> None:
    """The strict decode of a route's body (a no-op for routes that take none)."""
    spec = body_spec(request.route_handler)
    if spec is None:
        return
    body = await request.body()
    if not body:
        if spec.optional:
            return
        raise BadRequest(
            "the request needs a JSON body",
            extra={
                "code": "request.body_missing",
                "errors": [{"field": "$", "source": "body", "rule": "required", "message": "is required"}],
            },
        )
    if not is_json(request.headers.get("content-type", "")):
        # The sent type is not repeated: say what is accepted.
        raise UnsupportedMediaType(
            "the body must be JSON: send it with Content-Type: application/json",
            extra={"code": "request.unsupported_media_type", "accepted": ["application/json"]},
        )
    try:
        value = _decoder(spec.type).decode(body)
    except msgspec.ValidationError as exc:
        value = _with_integral_floats(spec.type, body, exc)
        if value is _REFUSED:
            errors = describe_schema_errors(spec.type, body) or [from_msgspec(str(exc))]
            raise invalid_body(errors) from None
    except RecursionError:
        raise _malformed("the body is nested too deeply") from None
    except UnicodeDecodeError:
        raise _malformed("the body is not valid UTF-8") from None
    except msgspec.DecodeError:
        raise _malformed("the body is not valid JSON") from None
    # Litestar's own conversion passes an already-typed value through unchanged.
    ScopeState.from_scope(request.scope).json = value


_REFUSED = object()


def _with_integral_floats(tp: Any, body: bytes, exc: msgspec.ValidationError) -> Any:
    # JSON has one number type: for JSON Schema (and so for the document and its clients)
    # 2.0 is an integer; msgspec's strict decoder goes by the spelling and refuses it.
    if "got `float`" not in str(exc):
        return _REFUSED
    try:
        return msgspec.convert(_integral(msgspec.json.decode(body)), tp, strict=True)
    except (msgspec.ValidationError, msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return _REFUSED


def _integral(node: Any) -> Any:
    if isinstance(node, float) and node.is_integer():
        return int(node)
    if isinstance(node, dict):
        return {k: _integral(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_integral(v) for v in node]
    return node


def _malformed(detail: str) -> BadRequest:
    return BadRequest(detail, extra={"code": "request.malformed_body"})


def invalid_body(errors: list[dict[str, str]]) -> BadRequest:
    return BadRequest(summary(errors), extra={"code": "request.invalid_body", "errors": errors})
