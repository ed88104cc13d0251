"""Validation messages composed here, never taken from the libraries.

A request that breaks its schema gets one entry per invalid field: its JSON path
(``$.party.adults``; a query parameter by its name), the rule it breaks and a message
written from that rule and the schema (allowed values, bounds). Never a value, a key or a
name the client sent: any of them may be personal data (jsonschema's and msgspec's own
messages quote the value, so they are not used).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import msgspec

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError as SchemaError

MAX_LISTED = 5

# The end of the string in a pattern. `$` is not: Python's `re` (msgspec's check) lets it
# match before a final newline, the document's ECMA-262 reading does not, so "GT\n" would
# be refused by the document and taken by the service. `[\s\S]` is any character in every
# engine (whatever each one counts as a space); write `^[A-Z]{2}` + END, never `$` or `\Z`.
END = r"(?![\s\S])"


@functools.cache
def json_schema(tp: Any) -> dict[str, Any]:
    return msgspec.json.schema(tp)


@functools.cache
def _validator(tp: Any) -> tuple[Draft202012Validator, frozenset[str]]:
    # Imported with the first refused body, not at start: about 4 MB in each process
    # that may never see one.
    from jsonschema import Draft202012Validator

    schema = json_schema(tp)
    return (
        Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER),
        frozenset(_property_names(schema)),
    )


def _property_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        props = node.get("properties")
        if isinstance(props, dict):
            yield from props
        for value in node.values():
            yield from _property_names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _property_names(value)


def summary(errors: list[dict[str, str]]) -> str:
    shown = "; ".join(f"{e['field']} {e['message']}" for e in errors[:MAX_LISTED])
    more = len(errors) - MAX_LISTED
    return "the request is not valid: " + shown + (f"; and {more} more (see errors)" if more > 0 else "")


def describe_schema_errors(tp: Any, body: bytes) -> list[dict[str, str]]:
    """Every way the body breaks the type's JSON schema, one entry per field and rule."""
    try:
        raw = msgspec.json.decode(body)
        validator, names = _validator(tp)
        found = list(validator.iter_errors(raw))
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return []
    out: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for error in sorted(found, key=lambda e: [str(p) for p in e.absolute_path]):
        for entry in _describe(error, names):
            key = (entry["field"], entry["message"])
            if key not in seen:
                seen.add(key)
                out.append(entry)
    return out


def json_path(path: Iterable[Any], names: frozenset[str]) -> str:
    """``$.party.adults``; a key that is not one of ours (a dict's key) is shown as ``*``."""
    out = "$"
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if part in names else ".*"
    return out


def _entry(path: Iterable[Any], names: frozenset[str], rule: str, message: str) -> dict[str, str]:
    return {"field": json_path(path, names), "source": "body", "rule": rule, "message": message}


_ARTICLE = {"integer": "an integer", "object": "an object", "array": "an array", "null": "null"}
_FORMATS = {
    "date-time": "an RFC 3339 date-time such as 2026-01-31T09:00:00Z",
    "date": "a date such as 2026-01-31",
    "uuid": "a UUID",
    "email": "an email address",
    "uri": "a URI",
}


def _kind(t: Any) -> str:
    names = t if isinstance(t, list) else [t]
    return " or ".join(_ARTICLE.get(n, f"a {n}") for n in names)


def _listing(values: Iterable[Any]) -> str:
    return ", ".join(msgspec.json.encode(v).decode() if not isinstance(v, str) else v for v in values)


def _describe(error: SchemaError, names: frozenset[str]) -> list[dict[str, str]]:
    kind, rule, path = error.validator, error.validator_value, list(error.absolute_path)
    instance = error.instance
    if kind == "required":
        present = instance if isinstance(instance, dict) else {}
        return [_entry([*path, n], names, "required", "is required") for n in rule if n not in present]
    if kind == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        hint = f"; allowed: {', '.join(allowed)}" if allowed else ""
        return [_entry(path, names, "unknown_field", f"has a field that is not allowed here{hint}")]
    if kind in ("anyOf", "oneOf") and error.context:
        return _describe_union(error, names)
    return [_entry(path, names, str(kind), _message(str(kind), rule))]


def _describe_union(error: SchemaError, names: frozenset[str]) -> list[dict[str, str]]:
    # ``X | None`` given an object: the ``null`` branch's complaint ("must be null") says
    # nothing useful. Report the branch whose shape fits, or the shapes allowed.
    branches: dict[Any, list[SchemaError]] = {}
    for sub in error.context or ():
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)
    fitting = [
        subs
        for subs in branches.values()
        if not any(not sub.relative_path and sub.validator in ("type", "const", "enum") for sub in subs)
    ]
    if fitting:
        return [entry for sub in min(fitting, key=len) for entry in _describe(sub, names)]
    if error.context and all(sub.validator in ("const", "enum", "type") for sub in error.context):
        allowed = [
            *[v for sub in error.context if sub.validator == "enum" for v in sub.validator_value],
            *[sub.validator_value for sub in error.context if sub.validator == "const"],
        ]
        types = [sub.validator_value for sub in error.context if sub.validator == "type"]
        parts = ([f"one of: {_listing(allowed)}"] if allowed else []) + [_kind(t) for t in types]
        return [
            _entry(error.absolute_path, names, "enum" if allowed else "type", "must be " + " or ".join(parts))
        ]
    return [_entry(error.absolute_path, names, str(error.validator), _message(str(error.validator), None))]


def _message(kind: str, rule: Any) -> str:
    text = {
        "type": lambda: f"must be {_kind(rule)}",
        "enum": lambda: f"must be one of: {_listing(rule)}",
        "const": lambda: f"must be {_listing([rule])}",
        "minimum": lambda: f"must be at least {rule}",
        "maximum": lambda: f"must be at most {rule}",
        "exclusiveMinimum": lambda: f"must be greater than {rule}",
        "exclusiveMaximum": lambda: f"must be less than {rule}",
        "multipleOf": lambda: f"must be a multiple of {rule}",
        "minLength": lambda: f"must have at least {rule} characters",
        "maxLength": lambda: f"must have at most {rule} characters",
        "pattern": lambda: f"must match the pattern {rule}",
        "format": lambda: f"must be {_FORMATS.get(rule, f'a valid {rule}')}",
        "minItems": lambda: f"must have at least {rule} items",
        "maxItems": lambda: f"must have at most {rule} items",
        "uniqueItems": lambda: "must not repeat an item",
        "minProperties": lambda: f"must have at least {rule} entries",
        "maxProperties": lambda: f"must have at most {rule} entries",
        "anyOf": lambda: "does not match any of the allowed shapes",
        "oneOf": lambda: "does not match exactly one of the allowed shapes",
    }.get(kind)
    return text() if text else "is not valid here"


def sanitize_msgspec_message(message: str) -> str:
    """msgspec's own words, less the parts that quote what was sent."""
    if message.startswith("Invalid enum value"):
        return "is not one of the allowed values"
    if message.startswith("Object contains unknown field"):
        return "has a field that is not allowed here"
    if message.startswith("Invalid value"):
        return "is not an allowed value"
    return message


def from_msgspec(text: str) -> dict[str, str]:
    message, _, where = text.partition(" - at `")
    return {
        "field": where.rstrip("`") or "$",
        "source": "body",
        "rule": "invalid",
        "message": sanitize_msgspec_message(message),
    }


def allowed_values(tp: Any) -> list[Any]:
    """The values an enum or literal type allows (also inside ``X | None``); [] otherwise."""
    try:
        schema = json_schema(tp)
    except (TypeError, ValueError):
        return []
    defs = schema.get("$defs", {})

    def walk(node: dict[str, Any]) -> list[Any]:
        if "$ref" in node:
            node = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
        if "enum" in node:
            return list(node["enum"])
        return [v for member in node.get("anyOf", []) for v in walk(member)]

    return walk(schema)


_MISSING = re.compile(r"^Missing required (\w+) parameter '([^']+)'")


def describe_parameter_errors(request: Any, exc: Any) -> list[dict[str, str]]:
    """Litestar's parameter errors in our words: the parameter's public name, the rule."""
    missing = _MISSING.match(exc.detail or "")
    if missing:
        kind, name = missing.groups()
        return [{"field": name, "source": kind, "rule": "required", "message": "is required"}]
    items = exc.extra if isinstance(exc.extra, list) else []
    params = request.route_handler.parsed_fn_signature.parameters
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        key, source = str(item.get("key") or ""), str(item.get("source") or "")
        message = str(item.get("message") or "")
        if source == "body":
            out.append(
                {"field": "$." + key if key else "$", "source": "body", "rule": "invalid",
                 "message": sanitize_msgspec_message(message)}
            )  # fmt: skip
            continue
        param = params.get(key)
        kwarg = getattr(param, "kwarg_definition", None)
        aliases = ("name", "query", "header", "cookie")
        name = next((str(a) for a in (getattr(kwarg, k, None) for k in aliases) if a), key)
        allowed = allowed_values(param.annotation) if param is not None else []
        if allowed and message.startswith("Invalid enum value"):
            entry = {"rule": "enum", "message": f"must be one of: {_listing(allowed)}"}
        else:
            entry = {"rule": "invalid", "message": sanitize_msgspec_message(message)}
        source = getattr(item.get("source"), "value", source) or "query"
        out.append({"field": name, "source": str(source), **entry})
    return out
