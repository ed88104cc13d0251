"""Where `amparo demo` finds the system, and what it made there (so it can tell a system
that holds someone's real data from one that holds only its own)."""

from __future__ import annotations

import json
import os
from pathlib import Path

SERVICE_NAMES = ("risk", "shelters", "funds", "console")


def locate(home: Path) -> tuple[dict[str, str], str]:
    """The services' addresses and where they were found: run.json, else the environment."""
    state_file = home / "run.json"
    if state_file.exists():
        state = json.loads(state_file.read_text())
        return {name: svc["url"] for name, svc in state["services"].items()}, f"run.json ({state_file})"
    urls = {
        name: os.environ[f"AMPARO_{name.upper()}_URL"]
        for name in SERVICE_NAMES
        if os.environ.get(f"AMPARO_{name.upper()}_URL")
    }
    if all(name in urls for name in ("risk", "shelters", "funds")):
        return {k: v.rstrip("/") for k, v in urls.items()}, "the environment (AMPARO_<SERVICE>_URL)"
    return {}, ""


class Ledger:
    """What the demo made (demo.json in AMPARO_HOME): anything else is someone's data."""

    KINDS = ("cases", "shelters", "funds")

    def __init__(self, path: Path) -> None:
        self.path = path
        saved = json.loads(path.read_text()) if path.exists() else {}
        self.ids = {kind: set(saved.get(kind, [])) for kind in self.KINDS}

    def add(self, kind: str, item_id: str) -> None:
        self.ids[kind].add(item_id)
        self.path.write_text(json.dumps({k: sorted(v) for k, v in self.ids.items()}, indent=1))
