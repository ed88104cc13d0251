"""The shelters service: where it is wired (routes, migrations, consumers, jobs)."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from services.shelters.api import ROUTES
from services.shelters.handlers import risk_handlers
from services.shelters.service import expire_holds
from shared.config import Settings
from shared.runtime import ServiceSpec, build_app

# How often unconfirmed holds past their expiry are released (holds last hours).
HOLD_EXPIRY_EVERY_SECONDS = 30.0

SPEC = ServiceSpec(
    name="shelters",
    description="Shelters, beds, availability, holds that never double-book, the waitlist.",
    route_handlers=ROUTES,
    migrations=Path(__file__).parent / "migrations",
    consumers=lambda rt: [
        rt.new_consumer(stream="RISK", durable="shelters-risk", handlers=risk_handlers(rt))
    ],
    jobs=[(HOLD_EXPIRY_EVERY_SECONDS, expire_holds)],
)


def create_app(settings: Settings | None = None) -> Litestar:
    return build_app(SPEC, settings)
