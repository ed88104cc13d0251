"""The one bootstrap: every service process is built here from its ``ServiceSpec``.

A service says what it has (routes, the event handlers of each stream it reads, periodic
jobs, migrations, its own config); ``build_app`` wires the rest the same way for all
three: the runtime (pool, NATS, relay, consumers, jobs) and the Litestar app around the
routes (auth, problem details, request context, OpenAPI).
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import ImproperlyConfiguredException
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.routes import HTTPRoute

from shared.admin import ROUTES as ADMIN_ROUTES
from shared.auth import JWTAuthMiddleware
from shared.config import Settings, load_config, load_settings
from shared.http import (
    OPERATIONS_ROUTES,
    RequestContextMiddleware,
    before_request,
    provide_principal,
    provide_runtime,
)
from shared.logging import configure_logging
from shared.metrics import METRICS_PATH, metrics, prometheus_config
from shared.openapi import PUBLIC_PATHS, DocsPage, TruthfulJson
from shared.problems import EXCEPTION_HANDLERS
from shared.runtime import Job, Runtime, ServiceSpec, Subscription

__all__ = ["Job", "Runtime", "ServiceSpec", "Subscription", "build_app"]

MAX_BODY_BYTES = 1024 * 1024


def build_app(spec: ServiceSpec, settings: Settings | None = None, config: Any = None) -> Litestar:
    """The Litestar app of one service; its lifespan starts and stops the runtime."""
    settings = settings or load_settings()
    config = config if config is not None else load_config(spec.config)
    configure_logging(spec.name, level=settings.log_level, json=settings.log_json)
    runtime = Runtime(spec, settings, config)
    options = dict(spec.app_options)
    # Requests are timed first, so the time includes every other middleware.
    middleware = [
        prometheus_config(spec.name).middleware,
        RequestContextMiddleware,
        *options.pop("middleware", []),
    ]
    if spec.bearer_auth:
        # /metrics needs no token: it carries no personal data (docs/operations.md).
        public = [*PUBLIC_PATHS, f"^{METRICS_PATH}$"]
        middleware.append(DefineMiddleware(JWTAuthMiddleware, exclude=public))
    # The operators' routes (status, dead letters) on every service that has events.
    admin = ADMIN_ROUTES if spec.bearer_auth else []
    app = Litestar(
        route_handlers=[*OPERATIONS_ROUTES, metrics, *admin, *spec.routes],
        middleware=middleware,
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=before_request,
        # Bodies here are small JSON documents; Litestar's default is 10 MB.
        request_max_body_size=MAX_BODY_BYTES,
        dependencies={
            "rt": Provide(provide_runtime, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        openapi_config=OpenAPIConfig(
            title=f"Amparo {spec.name}",
            version="0.1.0",
            description=spec.description,
            path="/schema",
            render_plugins=[DocsPage("/schema"), TruthfulJson()],
            # Each route's docstring (in the domain's words) is its description.
            use_handler_docstrings=True,
        ),
        lifespan=[runtime.lifespan],
        state=State({"runtime": runtime}),
        debug=False,
        **options,
    )
    # The console's pages (forms, not JSON) have their own hook; the JSON APIs must not.
    _check_routes(app, json_api=spec.bearer_auth)
    return app


def _check_routes(app: Litestar, *, json_api: bool) -> None:
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            _rebind_options(route)
        for handler in getattr(route, "route_handlers", ()) if json_api else ():
            # Litestar runs only the innermost layer's before_request: a route or controller
            # with its own would silently skip the strict body decoding.
            hook = handler.resolve_before_request()
            if hook is not None and getattr(hook, "func", hook) is not before_request:
                raise ImproperlyConfiguredException(
                    f"{handler} sets its own before_request; call shared.http.before_request from it"
                )


def _rebind_options(route: HTTPRoute) -> None:
    # Litestar 2.25: when a second handler joins a path (GET /cases after POST /cases), the
    # route is rebuilt but keeps the first route's automatic OPTIONS handler, whose Allow
    # header lists only the first route's methods. Point it at the route that serves it.
    handler = route.route_handler_map.get("OPTIONS", (None,))[0]
    fn = getattr(getattr(handler, "fn", None), "__wrapped__", getattr(handler, "fn", None))
    if getattr(fn, "__name__", "") != "options_handler" or not fn.__closure__:
        return
    for cell in fn.__closure__:
        if isinstance(cell.cell_contents, HTTPRoute) and cell.cell_contents is not route:
            cell.cell_contents = route
