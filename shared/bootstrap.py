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
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin

from shared.auth import JWTAuthMiddleware
from shared.config import Settings, load_config, load_settings
from shared.http import (
    OPERATIONS_ROUTES,
    RequestContextMiddleware,
    bind_case_id,
    provide_principal,
    provide_runtime,
)
from shared.logging import configure_logging
from shared.problems import EXCEPTION_HANDLERS
from shared.runtime import Job, Runtime, ServiceSpec, Subscription

__all__ = ["Job", "Runtime", "ServiceSpec", "Subscription", "build_app"]


def build_app(spec: ServiceSpec, settings: Settings | None = None, config: Any = None) -> Litestar:
    """The Litestar app of one service; its lifespan starts and stops the runtime."""
    settings = settings or load_settings()
    config = config if config is not None else load_config(spec.config)
    configure_logging(spec.name, level=settings.log_level, json=settings.log_json)
    runtime = Runtime(spec, settings, config)
    options = dict(spec.app_options)
    middleware = [RequestContextMiddleware, *options.pop("middleware", [])]
    if spec.bearer_auth:
        middleware.append(DefineMiddleware(JWTAuthMiddleware, exclude=["^/health$", "^/ready$", "^/schema"]))
    return Litestar(
        route_handlers=[*OPERATIONS_ROUTES, *spec.routes],
        middleware=middleware,
        exception_handlers=EXCEPTION_HANDLERS,
        before_request=bind_case_id,
        dependencies={
            "rt": Provide(provide_runtime, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        openapi_config=OpenAPIConfig(
            title=f"Amparo {spec.name}",
            version="0.1.0",
            description=spec.description,
            path="/schema",
            render_plugins=[SwaggerRenderPlugin()],
        ),
        lifespan=[runtime.lifespan],
        state=State({"runtime": runtime}),
        debug=False,
        **options,
    )
