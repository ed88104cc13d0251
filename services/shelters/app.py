"""The shelters service: where it is wired (routes, migrations, consumers, jobs)."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from shared.config import Settings
from shared.runtime import ServiceSpec, build_app

SPEC = ServiceSpec(
    name="shelters",
    description="Shelters, beds, availability, holds that never double-book, the waitlist.",
    route_handlers=[],
    migrations=Path(__file__).parent / "migrations",
)


def create_app(settings: Settings | None = None) -> Litestar:
    return build_app(SPEC, settings)
