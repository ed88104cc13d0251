"""The risk service: where it is wired (routes, migrations, consumers, jobs)."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from services.risk import handlers
from services.risk.api import ROUTES
from shared.config import ConfigError, Settings
from shared.consumer import Consumer
from shared.runtime import Runtime, ServiceSpec, build_app

SPEC = ServiceSpec(
    name="risk",
    description="Cases, gender-indicator risk assessments, the registry of attacks and the case timeline.",
    route_handlers=ROUTES,
    migrations=Path(__file__).parent / "migrations",
    consumers=lambda rt: _consumers(rt),
)


def _consumers(rt: Runtime) -> list[Consumer]:
    # Built once the runtime has loaded its keys: the one start-up hook there is, so a risk
    # process without PII keys stops here with a clear line instead of failing every intake.
    if rt.cipher is None:
        raise ConfigError("the risk service needs AMPARO_PII_KEYS or AMPARO_PII_KEY_FILE")
    return [
        rt.new_consumer(stream="SHELTERS", durable="risk-shelters", handlers=handlers.shelters_handlers()),
        rt.new_consumer(stream="FUNDS", durable="risk-funds", handlers=handlers.funds_handlers()),
    ]


def create_app(settings: Settings | None = None) -> Litestar:
    return build_app(SPEC, settings)
