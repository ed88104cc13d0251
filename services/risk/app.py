"""The risk service: what it is made of, for the one bootstrap in ``shared``."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from services.risk import handlers
from services.risk.assessments import api as assessments
from services.risk.cases import api as cases
from services.risk.cases.announcements import ANNOUNCE_EVERY_SECONDS, announce_due_job
from services.risk.config import RiskConfig
from services.risk.consents import api as consents
from services.risk.incidents import api as incidents
from services.risk.retention import api as retention
from services.risk.retention.service import retention_job
from services.risk.search import api as search
from services.risk.search import service as name_search
from services.risk.timeline import api as timeline
from shared import idempotency
from shared.bootstrap import Job, ServiceSpec, Subscription, build_app
from shared.config import Settings

# Retention periods are whole days: one run a day (and one at start) is enough.
RETENTION_EVERY_SECONDS = 86_400.0
TIMELINE_GATHER_SECONDS = 0.25

SPEC = ServiceSpec(
    name="risk",
    description="Cases, gender-indicator risk assessments, the registry of attacks and the case timeline.",
    routes=[
        *search.ROUTES,
        *cases.ROUTES,
        *assessments.ROUTES,
        *timeline.ROUTES,
        *incidents.ROUTES,
        *retention.ROUTES,
        *consents.ROUTES,
    ],
    migrations=Path(__file__).parent / "migrations",
    # The timeline reads shelters' and funds' events in batches (a quarter second is not
    # seen by the analyst watching it): fewer transactions leave the cores to the case's path.
    subscriptions=[
        Subscription("SHELTERS", handlers.SHELTERS, gather_seconds=TIMELINE_GATHER_SECONDS),
        Subscription("FUNDS", handlers.FUNDS, gather_seconds=TIMELINE_GATHER_SECONDS),
    ],
    # Retention of personal data (issue 14): a closed case's is blocked, then erased. The
    # name index: cases not indexed under the current blind index key (issue 12: older
    # cases, changed or erased names, a new key).
    jobs=[
        idempotency.PURGE_JOB,
        Job(RETENTION_EVERY_SECONDS, retention_job),
        Job(30.0, name_search.backfill),
        Job(ANNOUNCE_EVERY_SECONDS, announce_due_job),
    ],
    config=RiskConfig,
    needs_pii_key=True,
    app_options={"on_startup": [name_search.refuse_without_key]},
)


def create_app(settings: Settings | None = None, config: RiskConfig | None = None) -> Litestar:
    return build_app(SPEC, settings, config)
