"""The funds service: where it is wired (routes, migrations, consumers, jobs)."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from services.funds import service
from services.funds.api import ROUTES
from services.funds.handlers import on_assessment_recorded, on_case_closed
from shared.config import Settings
from shared.consumer import Consumer
from shared.events import AssessmentRecorded, CaseClosed
from shared.runtime import Runtime, ServiceSpec, build_app

# Overdue applications are found by one indexed query; a short period keeps the
# ApplicationOverdue event close to the deadline.
OVERDUE_EVERY_SECONDS = 2.0


async def overdue_job(rt: Runtime) -> None:
    await service.emit_overdue(rt)


def _consumers(rt: Runtime) -> list[Consumer]:
    return [
        rt.new_consumer(
            stream="RISK",
            durable="funds-risk",
            handlers={
                AssessmentRecorded.TYPE: on_assessment_recorded(rt.settings),
                CaseClosed.TYPE: on_case_closed,
            },
        )
    ]


SPEC = ServiceSpec(
    name="funds",
    description="Rapid-response funds, committee decisions, disbursements that never overspend or pay twice.",
    route_handlers=ROUTES,
    migrations=Path(__file__).parent / "migrations",
    consumers=_consumers,
    jobs=[(OVERDUE_EVERY_SECONDS, overdue_job)],
)


def create_app(settings: Settings | None = None) -> Litestar:
    return build_app(SPEC, settings)
