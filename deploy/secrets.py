"""Secret files and private directories under AMPARO_HOME.

A secret is written to a temporary file created with mode 0600 (``O_CREAT|O_EXCL``), then
renamed over its place, so it is never readable by others, not even for an instant, and
never half-written."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path, *, traverse_group: int | None = None) -> Path:
    """Create ``path`` (0700) or tighten it. ``traverse_group`` lets one group pass
    through (0710): the embedded PostgreSQL runs as its own system user when we are root."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    if traverse_group is not None:
        os.chown(path, -1, traverse_group)
        path.chmod(0o710)
    else:
        path.chmod(PRIVATE_DIR)
    return path


def write_secret(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically with mode 0600 (replacing what was there)."""
    if not path.parent.exists():
        private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def secret_file(path: Path, make: Callable[[], str]) -> Path:
    """The secret at ``path``, created with ``make()`` when absent; an existing file is
    tightened to 0600 (files from older versions were briefly world-readable)."""
    if path.exists():
        path.chmod(PRIVATE_FILE)
        return path
    return write_secret(path, make().rstrip("\n") + "\n")


def password(path: Path) -> str:
    """A random password kept at ``path`` (0600), made on first use."""
    return secret_file(path, lambda: secrets.token_urlsafe(32)).read_text().strip()


def private_log(path: Path):
    """Open a log for appending, created 0600 (logs may name ids and errors)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
    os.chmod(path, PRIVATE_FILE)
    return os.fdopen(fd, "ab")
