"""An OpenAPI document that tells the truth, and the docs page served from installed files.

Litestar documents each route's success and, for some, a 400 of its own
``application/json {status_code, detail, extra}`` shape; our errors are
``application/problem+json`` and can be 401, 403, 404, 409, 415, 422 and 503 too. The
generated document is finished here once, the same way for every route of every
service (nothing per route to forget):

- every status a route can return, as a ``Problem``: 400 and 422 where it takes a body
  or parameters, 415 where it takes a body, 401 and 403 where it needs a token, 404 where
  its path has parameters, 409 on POST/PUT/PATCH/DELETE, 503 everywhere (database or
  NATS away);
- request bodies described by msgspec's own JSON schema of the body type (what the
  strict decoder in ``shared.bodies`` accepts: unknown fields refused, exact types),
  ``required: false`` where the body is optional, and the body Struct's ``EXAMPLE``;
- the bearer scheme on every route that needs a token (the docs page's Authorize button).
"""

from __future__ import annotations

import re
import typing
from http import HTTPStatus
from pathlib import Path
from typing import Any

import msgspec
import swagger_ui_bundle
from litestar import Litestar, Request
from litestar.openapi.plugins import JsonRenderPlugin, OpenAPIRenderPlugin
from litestar.router import Router
from litestar.routes import HTTPRoute
from litestar.static_files import create_static_files_router

from shared.bodies import body_spec

__all__ = ["PUBLIC_PATHS", "DocsPage", "TruthfulJson", "finish"]

# Paths that need no token (the auth middleware skips them; the document says so).
PUBLIC_PATHS = ("^/health$", "^/ready$", "^/schema")
PROBLEM_MEDIA = "application/problem+json"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_WRITES = ("post", "put", "patch", "delete")

DESCRIPTIONS = {
    400: "The request is malformed or breaks its schema; `errors` names each invalid field",
    401: "No valid bearer token (missing, expired or badly signed)",
    403: "The token's role or countries do not allow this",
    404: "No such thing, or not one the token's countries may see",
    409: "The thing is not in a state that allows this (already decided, no room, ...)",
    415: "The body is not JSON: send Content-Type: application/json",
    422: "Well-formed, but breaks a rule of the domain (over the ceiling, unknown code, ...)",
    503: "The database or NATS is away for a moment; retry after Retry-After seconds",
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": (
        "RFC 9457 problem details. `detail` is written for people and never repeats what was "
        "sent; `code` is a stable, dotted reason for programs; other members are safe facts "
        "(counts, allowed values, ids the service made)."
    ),
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "examples": ["placement.no_room", "request.invalid_body"]},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
    },
    "additionalProperties": True,
}
FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "FieldError",
    "required": ["field", "source", "rule", "message"],
    "properties": {
        "field": {
            "type": "string",
            "description": "JSON path in the body (`$.party.adults`) or the parameter's name",
        },
        "source": {"type": "string", "enum": ["body", "query", "path", "header", "cookie"]},
        "rule": {"type": "string", "description": "the rule broken: required, enum, minimum, type, ..."},
        "message": {"type": "string"},
    },
}
BEARER = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "JWT",
    "description": "A token from `amparo token --role <role> --country <ISO code>`.",
}


def _is_public(path: str) -> bool:
    return any(re.match(pattern, path) for pattern in PUBLIC_PATHS)


def _handlers(app: Litestar) -> dict[tuple[str, str], Any]:
    found: dict[tuple[str, str], Any] = {}
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, (handler, _) in route.route_handler_map.items():
                found[(route.path_format or "/", method.lower())] = handler
    return found


def example_of(tp: Any) -> dict[str, Any] | None:
    """The ``EXAMPLE`` of a body type (also inside ``X | None``)."""
    for candidate in (tp, *typing.get_args(tp)):
        example = getattr(candidate, "EXAMPLE", None)
        if isinstance(example, dict):
            return example
    return None


def _problem_response(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {PROBLEM_MEDIA: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }


def finish(app: Litestar, schema: dict[str, Any]) -> dict[str, Any]:
    """Finish Litestar's document in place (idempotent)."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    if "Problem" in schemas:
        return schema
    handlers = _handlers(app)
    bodies: dict[Any, list[dict[str, Any]]] = {}
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            if method in item:
                _finish_operation(path, method, item[method], handlers.get((path, method)), bodies)
    if bodies:
        refs, defs = msgspec.json.schema_components(list(bodies), ref_template="#/components/schemas/{name}")
        # The strict decoder's own schema of each body type replaces Litestar's version
        # (which allows unknown fields the decoder refuses).
        schemas.update(defs)
        for same_type, ref in zip(bodies.values(), refs, strict=True):
            for body in same_type:
                body["content"]["application/json"]["schema"] = ref
    schemas["Problem"] = PROBLEM_SCHEMA
    schemas["FieldError"] = FIELD_ERROR_SCHEMA
    components.setdefault("securitySchemes", {})["bearer"] = BEARER
    return schema


def _finish_operation(
    path: str, method: str, op: dict[str, Any], handler: Any, bodies: dict[Any, list[dict[str, Any]]]
) -> None:
    spec = body_spec(handler) if handler is not None else None
    description = str(op.get("description") or "").strip()
    if description:
        # The docstring's first line, in the domain's words, rather than the function's name.
        op["summary"] = description.splitlines()[0].strip()
    params = op.get("parameters") or []
    for param in params:
        _bound_integers(param.get("schema"))
    statuses = {503}
    if spec is not None:
        statuses |= {400, 415, 422}
        body = {"required": not spec.optional, "content": {"application/json": {}}}
        example = example_of(spec.type)
        if example is not None:
            body["content"]["application/json"]["example"] = example
        if spec.optional:
            body["description"] = "Optional: the request may have no body at all."
        op["requestBody"] = body
        bodies.setdefault(spec.type, []).append(body)
    if params:
        statuses |= {400, 422}
    if any(p.get("in") == "path" for p in params):
        statuses.add(404)
    if method in _WRITES:
        statuses.add(409)
    if not _is_public(path):
        statuses |= {401, 403}
        op["security"] = [{"bearer": []}]
    responses = op.setdefault("responses", {})
    if "201" in responses and any(p.get("name") == "Idempotency-Key" for p in params):
        # A retry under the same key gets the first answer as 200 (shared/idempotency.py).
        replay = dict(responses["201"])
        replay["description"] = "a retry under the same Idempotency-Key: the first answer"
        replay["headers"] = {"Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true"]}}}
        responses.setdefault("200", replay)
    declared = set(getattr(handler, "responses", None) or {})
    for code in [c for c in responses if c.isdigit() and int(c) >= 400]:
        statuses.add(int(code))
        if int(code) not in declared:
            del responses[code]  # Litestar's own {status_code, detail, extra} shape
    for status in sorted(statuses):
        existing = responses.get(str(status), {})
        description = existing.get("description") or DESCRIPTIONS.get(status) or HTTPStatus(status).phrase
        responses[str(status)] = _problem_response(description)
    if 503 in statuses:
        responses["503"]["headers"] = {
            "Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}
        }


INT64 = (-(2**63), 2**63 - 1)


def _bound_integers(schema: Any) -> None:
    # Litestar parses an integer parameter into a 64-bit integer: say so, or clients
    # (and generated tests) send numbers it refuses.
    if not isinstance(schema, dict):
        return
    types = schema.get("type")
    if types == "integer" or (isinstance(types, list) and "integer" in types):
        # Litestar writes a bound of 2**63 - 1 as a float, which rounds up past it.
        low, high = schema.get("minimum"), schema.get("maximum")
        if "exclusiveMinimum" not in schema:
            schema["minimum"] = INT64[0] if low is None else max(int(low), INT64[0])
        if "exclusiveMaximum" not in schema:
            schema["maximum"] = INT64[1] if high is None else min(int(high), INT64[1])
    for key in ("anyOf", "oneOf", "allOf"):
        for member in schema.get(key) or ():
            _bound_integers(member)


class TruthfulJson(JsonRenderPlugin):
    """``/schema/openapi.json``: the finished document."""

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        return super().render(request, finish(request.app, openapi_schema))


_ASSETS = Path(str(swagger_ui_bundle.swagger_ui_path))


class DocsPage(OpenAPIRenderPlugin):
    """Swagger UI from the files the ``swagger-ui-bundle-v2`` package installs: the page works
    without internet and tells no third party that staff opened it."""

    def __init__(self, base: str = "/schema") -> None:
        self.static = f"{base}/static"
        favicon = f"<link rel='icon' type='image/png' href='{self.static}/favicon-32x32.png'>"
        super().__init__(path=["/swagger"], favicon=favicon)

    def receive_router(self, router: Router) -> None:
        router.register(
            create_static_files_router(path="/static", directories=[_ASSETS], name="swagger_assets")
        )

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        finish(request.app, openapi_schema)
        title = str(openapi_schema["info"]["title"]).replace("<", "&lt;")
        spec_url = self.get_openapi_json_route(request)
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8"/>
  <meta name="viewport" content="width=device-width, initial-scale=1"/>
  <title>{title}</title>
  {self.favicon}
  <link rel="stylesheet" href="{self.static}/swagger-ui.css"/>
  {self.style}
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="{self.static}/swagger-ui-bundle.js"></script>
  <script>
    window.ui = SwaggerUIBundle({{
      url: "{spec_url}",
      dom_id: "#swagger-ui",
      deepLinking: true,
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis],
    }});
  </script>
</body>
</html>""".encode()
