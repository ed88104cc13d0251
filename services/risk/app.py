"""The risk service: what it is made of, for the one bootstrap in ``shared``."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from services.risk import handlers
from services.risk.assessments import api as assessments
from services.risk.cases import api as cases
from services.risk.config import RiskConfig
from services.risk.consents import api as consents
from services.risk.incidents import api as incidents
from services.risk.timeline import api as timeline
from shared.bootstrap import ServiceSpec, Subscription, build_app
from shared.config import Settings

SPEC = ServiceSpec(
    name="risk",
    description="Cases, gender-indicator risk assessments, the registry of attacks and the case timeline.",
    routes=[*cases.ROUTES, *assessments.ROUTES, *timeline.ROUTES, *incidents.ROUTES, *consents.ROUTES],
    migrations=Path(__file__).parent / "migrations",
    subscriptions=[Subscription("SHELTERS", handlers.SHELTERS), Subscription("FUNDS", handlers.FUNDS)],
    config=RiskConfig,
    needs_pii_key=True,
)


def create_app(settings: Settings | None = None, config: RiskConfig | None = None) -> Litestar:
    return build_app(SPEC, settings, config)
