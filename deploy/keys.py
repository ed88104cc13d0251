"""Each service's key file under AMPARO_HOME/keys, and `amparo keys add|check|reencrypt`.

``keys/<svc>.keys`` holds one ``kid:base64key`` per line, the newest first: the first
encrypts, all decrypt. The runner passes each service only its own file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from deploy.embedded import StartError
from deploy.secrets import private_dir, secret_file, write_secret
from shared import db
from shared.ciphertexts import holds_ciphertext, key_ids_in_use, reencrypt, registry
from shared.config import with_database
from shared.crypto import KeyFileError, PiiCipher, new_key_id, new_key_spec, spec_items, spec_key_ids

LEGACY = "pii.keys"  # before issue 10 one file held the key all three services used
LEGACY_DONE = "pii.keys.pre-split"
HEADER = "# kid:base64key, newest first: the first encrypts, all decrypt. Back this file up.\n"
INDEX_HEADER = "# kid:base64key of the name search's blind index, newest first (only the first is used).\n"


def key_path(home: Path, service: str) -> Path:
    return home / "keys" / f"{service}.keys"


async def database_holds_ciphertext(admin_url: str, service: str) -> bool:
    entries = registry(service)
    if not entries:
        return False
    conn = await db.connect(with_database(admin_url, f"amparo_{service}"))
    try:
        return await holds_ciphertext(conn, entries)
    finally:
        await conn.close()


def ensure_service_key(home: Path, service: str, *, holds_ciphertext: bool) -> Path:
    """The service's key file: kept if present; split from the old shared ``pii.keys``
    (its keys stay, after a new first key of the service's own, so old rows still open);
    a new key only for a database without ciphertext. Never a new key over existing data:
    that is how rows became unreadable before (finding 2)."""
    private_dir(home / "keys")
    path = key_path(home, service)
    if path.exists():
        return secret_file(path, lambda: "")
    legacy = home / LEGACY
    if not legacy.exists():
        legacy = home / LEGACY_DONE if (home / LEGACY_DONE).exists() else legacy
    if legacy.exists():
        old = legacy.read_text()
        PiiCipher.from_spec(old)  # a damaged shared file is refused, not copied
        return write_secret(path, HEADER + new_key_spec(new_key_id(service)) + "\n" + _lines(old))
    if holds_ciphertext:
        raise StartError(
            f"amparo_{service} holds encrypted data but {path} is missing; restore it from your "
            "backup (docs/threat-model.md). No new key was made, so nothing is lost meanwhile"
        )
    return write_secret(path, HEADER + new_key_spec(new_key_id(service)) + "\n")


def index_key_path(home: Path, service: str = "risk") -> Path:
    return home / "keys" / f"{service}.index.keys"


def ensure_index_key(home: Path, service: str = "risk") -> Path:
    """Risk's blind index key (the name search's HMAC key), a secret of its own beside its
    PII keys: kept if present, else made. A new key loses nothing: the index is derived
    data, and risk's backfill job rebuilds it from the encrypted names under the new key."""
    private_dir(home / "keys")
    path = index_key_path(home, service)
    if path.exists():
        return secret_file(path, lambda: "")
    return write_secret(path, INDEX_HEADER + new_key_spec(new_key_id(f"{service}-index")) + "\n")


def retire_legacy(home: Path) -> None:
    """Once every service has its own file, the shared one is renamed (kept: the old rows'
    key is in each service's file now; delete it after `amparo keys reencrypt`)."""
    legacy = home / LEGACY
    if legacy.exists():
        legacy.replace(home / LEGACY_DONE)


def _lines(spec: str) -> str:
    """The keys of a spec, one per line, without comments."""
    return "".join(f"{item}\n" for item in spec_items(spec))


def add_key(path: Path, service: str) -> str:
    """Prepend a new key (rotation); returns its id. Old keys stay to decrypt old rows."""
    old = path.read_text()
    PiiCipher.from_spec(old)
    kid = new_key_id(service)
    write_secret(path, HEADER + new_key_spec(kid) + "\n" + _lines(old))
    return kid


def load(path: Path) -> PiiCipher:
    try:
        return PiiCipher.from_spec(path.read_text())
    except OSError as exc:
        raise SystemExit(f"amparo keys: cannot read {path} ({exc.strerror})") from None
    except KeyFileError as exc:
        raise SystemExit(f"amparo keys: {path}: {exc}") from None


async def check(admin_url: str, home: Path, services) -> list[str]:
    """One line per column and key id: where each key id is in use, and which are missing."""
    lines = []
    for service in services:
        path = key_path(home, service)
        in_file = spec_key_ids(path.read_text()) if path.exists() else []
        lines.append(f"{service}: {path} has {', '.join(in_file) or 'no keys'}")
        conn = await db.connect(with_database(admin_url, f"amparo_{service}"))
        try:
            usage = await key_ids_in_use(conn, registry(service))
        finally:
            await conn.close()
        used = set()
        for column, counts in usage.items():
            for kid, n in counts.items():
                used.add(kid)
                state = "ok" if kid in in_file else "MISSING from the key file"
                lines.append(f"  {column}: {n} row(s) under {kid} ({state})")
        for kid in in_file[1:]:
            if kid not in used:
                lines.append(f"  {kid}: no rows use it any more; it may be removed from the file")
    return lines


async def reencrypt_service(admin_url: str, home: Path, service: str, *, batch: int, say=print) -> int:
    """Move every encrypted row of ``service`` to its newest key; returns rows left."""
    cipher = load(key_path(home, service))
    pool = await db.create_pool(with_database(admin_url, f"amparo_{service}"), min_size=1, max_size=2)
    left = 0
    try:
        for entry in registry(service):
            moved = await reencrypt(pool, cipher, entry, batch=batch)
            left += moved.left
            say(f"{service} {entry.name}: {moved.moved} moved to {cipher.active_key_id}, {moved.left} left")
    finally:
        await asyncio.wait_for(pool.close(), timeout=10)
    return left


async def retire(admin_url: str, home: Path, service: str, kid: str) -> Path:
    """Remove ``kid`` from the service's file, only when no row uses it any more."""
    path = key_path(home, service)
    cipher = load(path)
    if kid not in cipher.key_ids:
        raise SystemExit(f"amparo keys retire: {path} has no key {kid!r}")
    if kid == cipher.active_key_id:
        raise SystemExit("amparo keys retire: that is the newest key; `amparo keys add` a new one first")
    conn = await db.connect(with_database(admin_url, f"amparo_{service}"))
    try:
        usage = await key_ids_in_use(conn, registry(service))
    finally:
        await conn.close()
    rows = sum(counts.get(kid, 0) for counts in usage.values())
    if rows:
        raise SystemExit(
            f"amparo keys retire: {rows} row(s) still use {kid}; run `amparo keys reencrypt --service {service}` first"
        )
    kept = [item for item in spec_items(path.read_text()) if item.partition(":")[0] != kid]
    return write_secret(path, HEADER + "".join(f"{item}\n" for item in kept))
