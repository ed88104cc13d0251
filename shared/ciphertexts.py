"""Where a service keeps ciphertexts, and what the keys can do with them.

Each service that encrypts declares its encrypted columns in ``services/<svc>/ciphertexts.py``
as ``CIPHERTEXTS = (Ciphertext(table, column, ...), ...)``. From that one list:
- a service refuses to start when its database holds ciphertext under a key id its key
  file lacks, or that its key does not open (a damaged or wrong file);
- ``make run`` never makes a new key for a database that already holds ciphertext;
- ``amparo keys check`` says which key ids are in use where, and ``amparo keys reencrypt``
  moves every row to the newest key, batch by batch, while the service runs.

The associated data of every ciphertext is ``<id column>.bytes + purpose`` (the row binds
its ciphertext), so re-encryption can rebuild it from the row alone.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg

from shared.crypto import CipherError, PiiCipher


@dataclass(frozen=True)
class Ciphertext:
    """One encrypted column: ``table.column``, bound to ``id_column`` (a uuid) + ``purpose``."""

    table: str
    column: str
    id_column: str = "id"
    purpose: bytes = b""

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"

    def aad(self, row_id) -> bytes:
        return row_id.bytes + self.purpose


class KeyRefusal(Exception):
    """The service must not start: its keys do not match its data. One line to act on."""


def registry(service: str) -> tuple[Ciphertext, ...]:
    """The encrypted columns ``services/<service>/ciphertexts.py`` declares (none if absent)."""
    try:
        module = importlib.import_module(f"services.{service}.ciphertexts")
    except ModuleNotFoundError as exc:
        if exc.name != f"services.{service}.ciphertexts":
            raise
        return ()
    return tuple(module.CIPHERTEXTS)


def _kid_sql(column: str) -> str:
    # Layout b"A1" | len(kid) | kid | ...: the key id starts at the 4th byte (1-based).
    return f"convert_from(substring({column} from 4 for get_byte({column}, 2)), 'UTF8')"


async def _table_exists(conn, table: str) -> bool:
    return await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table)


async def key_ids_in_use(conn, entries: Sequence[Ciphertext]) -> dict[str, dict[str, int]]:
    """``{"cases.personal": {"k1": 12, ...}, ...}``: rows per key id in each column."""
    usage: dict[str, dict[str, int]] = {}
    for entry in entries:
        if not await _table_exists(conn, entry.table):
            continue
        rows = await conn.fetch(
            f'SELECT {_kid_sql(entry.column)} AS kid, count(*) AS n FROM "{entry.table}" '
            f'WHERE "{entry.column}" IS NOT NULL GROUP BY 1 ORDER BY 1'
        )
        usage[entry.name] = {r["kid"]: r["n"] for r in rows}
    return usage


async def holds_ciphertext(conn, entries: Sequence[Ciphertext]) -> bool:
    for entry in entries:
        if await _table_exists(conn, entry.table) and await conn.fetchval(
            f'SELECT EXISTS (SELECT 1 FROM "{entry.table}" WHERE "{entry.column}" IS NOT NULL)'
        ):
            return True
    return False


async def verify_keys(conn, cipher: PiiCipher | None, entries: Sequence[Ciphertext], *, where: str) -> None:
    """Raise ``KeyRefusal`` when the data uses a key id the cipher lacks, or when a key does
    not open a row written with it (a flipped character still decodes to 32 bytes)."""
    usage = await key_ids_in_use(conn, entries)
    known = set(cipher.key_ids) if cipher is not None else set()
    for entry in entries:
        for kid, count in usage.get(entry.name, {}).items():
            if kid not in known:
                raise KeyRefusal(
                    f"{entry.name} holds {count} ciphertext(s) under key id {kid!r}, which {where} lacks; "
                    "restore the key file from backup (see docs/threat-model.md)"
                )
            row = await conn.fetchrow(
                f'SELECT "{entry.id_column}" AS id, "{entry.column}" AS blob FROM "{entry.table}" '
                f'WHERE "{entry.column}" IS NOT NULL AND {_kid_sql(entry.column)} = $1 LIMIT 1',
                kid,
            )
            try:
                cipher.decrypt(bytes(row["blob"]), aad=entry.aad(row["id"]))
            except CipherError:
                raise KeyRefusal(
                    f"key {kid!r} in {where} does not open {entry.name}: the file is damaged or not "
                    "this service's; restore it from backup (see docs/threat-model.md)"
                ) from None


@dataclass
class Moved:
    column: str
    moved: int = 0
    left: int = 0


async def reencrypt(
    pool: asyncpg.Pool, cipher: PiiCipher, entry: Ciphertext, *, batch: int = 200, progress=None
) -> Moved:
    """Move every row of ``entry`` to the active key, ``batch`` rows per transaction.

    Online: rows are locked only for their batch and rows a request holds are skipped
    (``SKIP LOCKED``) and counted as left; resumable: every batch commits, so running
    it again continues where it stopped. ``amparo.reencrypt`` lets the immutability
    triggers allow this one change (same plaintext, new key)."""
    result = Moved(entry.name)
    active = cipher.active_key_id
    select = (
        f'SELECT "{entry.id_column}" AS id, "{entry.column}" AS blob FROM "{entry.table}" '
        f'WHERE "{entry.column}" IS NOT NULL AND {_kid_sql(entry.column)} <> $1 '
        f"ORDER BY 1 LIMIT {int(batch)} FOR UPDATE SKIP LOCKED"
    )
    update = (
        f'UPDATE "{entry.table}" AS t SET "{entry.column}" = u.blob '
        f'FROM unnest($1::uuid[], $2::bytea[]) AS u(id, blob) WHERE t."{entry.id_column}" = u.id'
    )
    while True:
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL amparo.reencrypt = 'on'")
            rows = await conn.fetch(select, active)
            if not rows:
                break
            ids, blobs = [], []
            for row in rows:
                aad = entry.aad(row["id"])
                ids.append(row["id"])
                blobs.append(cipher.encrypt(cipher.decrypt(bytes(row["blob"]), aad=aad), aad=aad))
            await conn.execute(update, ids, blobs)
        result.moved += len(rows)
        if progress is not None:
            progress(result)
    async with pool.acquire() as conn:
        result.left = await conn.fetchval(
            f'SELECT count(*) FROM "{entry.table}" WHERE "{entry.column}" IS NOT NULL '
            f"AND {_kid_sql(entry.column)} <> $1",
            active,
        )
    return result
