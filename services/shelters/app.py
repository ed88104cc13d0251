"""The shelters service: what it is made of, for the one bootstrap in ``shared``."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from services.shelters import handlers
from services.shelters.audit.api import ROUTES as AUDIT
from services.shelters.capacity.api import ROUTES as CAPACITY
from services.shelters.compromise.api import ROUTES as COMPROMISE
from services.shelters.config import SheltersConfig
from services.shelters.placements.api import ROUTES as PLACEMENTS
from services.shelters.placements.lifecycle import expire_holds
from services.shelters.placements.metrics import GAUGES
from services.shelters.registry.api import ROUTES as REGISTRY
from services.shelters.waitlist.api import ROUTES as WAITLIST
from shared import idempotency
from shared.bootstrap import Job, ServiceSpec, Subscription, build_app
from shared.config import Settings

# How often unconfirmed holds past their expiry are released (holds last hours).
HOLD_EXPIRY_EVERY_SECONDS = 30.0

SPEC = ServiceSpec(
    name="shelters",
    description="Shelters, beds, availability, holds that never double-book, the waitlist.",
    routes=[*REGISTRY, *COMPROMISE, *PLACEMENTS, *WAITLIST, *CAPACITY, *AUDIT],
    migrations=Path(__file__).parent / "migrations",
    subscriptions=[Subscription("RISK", handlers.RISK)],
    jobs=[Job(HOLD_EXPIRY_EVERY_SECONDS, expire_holds), idempotency.PURGE_JOB],
    config=SheltersConfig,
    gauges=GAUGES,
)


def create_app(settings: Settings | None = None, config: SheltersConfig | None = None) -> Litestar:
    return build_app(SPEC, settings, config)
