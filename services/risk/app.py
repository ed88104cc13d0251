"""The risk service: what it is made of, for the one bootstrap in ``shared``."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from services.risk import handlers
from services.risk.assessments import api as assessments
from services.risk.cases import api as cases
from services.risk.config import RiskConfig
from services.risk.incidents import api as incidents
from services.risk.search import api as search
from services.risk.search import service as name_search
from services.risk.timeline import api as timeline
from shared.bootstrap import Job, ServiceSpec, Subscription, build_app
from shared.config import Settings

SPEC = ServiceSpec(
    name="risk",
    description="Cases, gender-indicator risk assessments, the registry of attacks and the case timeline.",
    routes=[*search.ROUTES, *cases.ROUTES, *assessments.ROUTES, *timeline.ROUTES, *incidents.ROUTES],
    migrations=Path(__file__).parent / "migrations",
    subscriptions=[Subscription("SHELTERS", handlers.SHELTERS), Subscription("FUNDS", handlers.FUNDS)],
    config=RiskConfig,
    needs_pii_key=True,
    # Cases not indexed under the current blind index key (older cases, changed names, a new key).
    jobs=[Job(30.0, name_search.backfill)],
    app_options={"on_startup": [name_search.refuse_without_key]},
)


def create_app(settings: Settings | None = None, config: RiskConfig | None = None) -> Litestar:
    return build_app(SPEC, settings, config)
