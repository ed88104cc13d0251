from pathlib import Path

import pytest

from shared import db
from shared.config import with_database


async def test_migrations_apply_once_and_refuse_an_edited_file(pg_url, tmp_path):
    name = "mig_probe"
    await db.ensure_database(pg_url, name)
    dsn = with_database(pg_url, name)
    service = tmp_path / "probe" / "migrations"
    service.mkdir(parents=True)
    (service / "0001_first.sql").write_text("CREATE TABLE probe (id int);")
    applied = await db.migrate(dsn, service)
    shared = sorted(p.name for p in db.SHARED_MIGRATIONS.glob("*.sql"))
    assert shared[:4] == [
        "0001_outbox_and_processed.sql",
        "0002_outbox_notify_trigger.sql",  # dropped by 0008: the relay is woken in-process
        "0003_case_order.sql",
        "0004_legacy_region_codes.sql",
    ]
    # Shared first, in order, then the service's own.
    assert applied == [f"shared/{name}" for name in shared] + ["probe/0001_first.sql"]
    assert await db.migrate(dsn, service) == []

    (service / "0002_second.sql").write_text("ALTER TABLE probe ADD COLUMN x int; SELECT nonsense_fn();")
    with pytest.raises(Exception, match="nonsense_fn"):
        await db.migrate(dsn, service)
    conn = await db.connect(dsn)
    try:  # the failed file left nothing behind
        cols = await conn.fetchval(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'probe'"
        )
        assert cols == 1
    finally:
        await conn.close()

    (service / "0002_second.sql").unlink()
    (service / "0001_first.sql").write_text("CREATE TABLE probe (id bigint);")
    with pytest.raises(db.MigrationError, match="changed after it was applied"):
        await db.migrate(dsn, service)


def test_badly_named_migration_is_refused(tmp_path: Path):
    (tmp_path / "1_bad.sql").write_text("SELECT 1")
    with pytest.raises(db.MigrationError, match=r"NNNN_name\.sql"):
        db.migration_files(tmp_path)
