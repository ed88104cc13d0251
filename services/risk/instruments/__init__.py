"""The instrument files, shipped inside this package (a package, so package-data takes
its *.toml in a wheel), read once per process."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from services.risk.domain.instrument import Instrument, instrument_from

DIRECTORY = Path(__file__).parent


def load_file(path: Path) -> Instrument:
    with path.open("rb") as fh:
        return instrument_from(tomllib.load(fh), name=path.stem)


@functools.cache
def all_instruments() -> dict[str, Instrument]:
    """Every version (a new version is a new file and a restart)."""
    return {i.version: i for i in (load_file(p) for p in sorted(DIRECTORY.glob("*.toml")))}


def get(version: str) -> Instrument | None:
    return all_instruments().get(version)
