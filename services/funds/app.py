"""The funds service: what it is made of, for the one bootstrap in ``shared``."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from services.funds import handlers, service
from services.funds.api import ROUTES
from services.funds.config import FundsConfig
from shared.bootstrap import Job, Runtime, ServiceSpec, Subscription, build_app
from shared.config import Settings

# Overdue applications are found by one indexed query; a short period keeps the
# ApplicationOverdue event close to the deadline.
OVERDUE_EVERY_SECONDS = 2.0


async def overdue_job(rt: Runtime) -> None:
    await service.emit_overdue(rt)


SPEC = ServiceSpec(
    name="funds",
    description="Rapid-response funds, committee decisions, disbursements that never overspend or pay twice.",
    routes=ROUTES,
    migrations=Path(__file__).parent / "migrations",
    subscriptions=[Subscription("RISK", handlers.RISK)],
    jobs=[Job(OVERDUE_EVERY_SECONDS, overdue_job)],
    config=FundsConfig,
)


def create_app(settings: Settings | None = None, config: FundsConfig | None = None) -> Litestar:
    return build_app(SPEC, settings, config)
