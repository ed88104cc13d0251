"""The shelters service: what it is made of, for the one bootstrap in ``shared``."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from services.shelters import handlers
from services.shelters.api import ROUTES
from services.shelters.config import SheltersConfig
from services.shelters.service import expire_holds
from shared.bootstrap import Job, ServiceSpec, Subscription, build_app
from shared.config import Settings

# How often unconfirmed holds past their expiry are released (holds last hours).
HOLD_EXPIRY_EVERY_SECONDS = 30.0

SPEC = ServiceSpec(
    name="shelters",
    description="Shelters, beds, availability, holds that never double-book, the waitlist.",
    routes=ROUTES,
    migrations=Path(__file__).parent / "migrations",
    subscriptions=[Subscription("RISK", handlers.RISK)],
    jobs=[Job(HOLD_EXPIRY_EVERY_SECONDS, expire_holds)],
    config=SheltersConfig,
)


def create_app(settings: Settings | None = None, config: SheltersConfig | None = None) -> Litestar:
    return build_app(SPEC, settings, config)
