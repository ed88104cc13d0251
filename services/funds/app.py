"""The funds service: what it is made of, for the one bootstrap in ``shared``."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from services.funds import handlers
from services.funds.applications.api import ApplicationsController
from services.funds.committee.api import CommitteeController
from services.funds.config import FundsConfig
from services.funds.deadlines.metrics import GAUGES
from services.funds.deadlines.service import emit_overdue
from services.funds.disbursements.api import DisbursementsController
from services.funds.disbursements.legacy import encrypt_payee_references
from services.funds.funds.api import FundsController
from services.funds.reports.api import grants_report
from shared import idempotency
from shared.bootstrap import Job, ServiceSpec, Subscription, build_app
from shared.config import Settings

# Overdue applications are found by one indexed query; a short period keeps the
# ApplicationOverdue event close to the deadline.
OVERDUE_EVERY_SECONDS = 2.0
# Payee references written in clear before they were encrypted: moved soon after start.
LEGACY_PAYEES_EVERY_SECONDS = 60.0

SPEC = ServiceSpec(
    name="funds",
    description="Rapid-response funds, committee decisions, disbursements that never overspend or pay twice.",
    routes=[
        FundsController,
        ApplicationsController,
        CommitteeController,
        DisbursementsController,
        grants_report,
    ],
    migrations=Path(__file__).parent / "migrations",
    subscriptions=[Subscription("RISK", handlers.RISK)],
    jobs=[
        Job(OVERDUE_EVERY_SECONDS, emit_overdue),
        Job(LEGACY_PAYEES_EVERY_SECONDS, encrypt_payee_references),
        idempotency.PURGE_JOB,
    ],
    config=FundsConfig,
    gauges=GAUGES,
    # Vote comments and payee references are stored encrypted.
    needs_pii_key=True,
)


def create_app(settings: Settings | None = None, config: FundsConfig | None = None) -> Litestar:
    return build_app(SPEC, settings, config)
