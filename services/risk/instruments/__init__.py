"""The instrument files, shipped inside this package (a package, so package-data takes
its *.toml in a wheel), and their loader."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

import msgspec

from services.risk.domain import Instrument, InstrumentError, check_instrument

DIRECTORY = Path(__file__).parent


def load_file(path: Path) -> Instrument:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    try:
        instrument = msgspec.convert(raw, Instrument)
    except msgspec.ValidationError as exc:
        raise InstrumentError(f"{path.name}: {exc}") from None
    if instrument.version != path.stem:
        raise InstrumentError(f"{path.name}: version {instrument.version!r} must match the file name")
    return check_instrument(instrument)


@functools.cache
def all_instruments() -> dict[str, Instrument]:
    """Every version, read once per process (a new version is a new file and a restart)."""
    return {i.version: i for i in (load_file(p) for p in sorted(DIRECTORY.glob("*.toml")))}


def get(version: str) -> Instrument | None:
    return all_instruments().get(version)
