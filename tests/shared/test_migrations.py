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
    assert applied == [
        "shared/0001_outbox_and_processed.sql",
        "shared/0002_outbox_notify_trigger.sql",
        "shared/0003_case_order.sql",
        "shared/0004_legacy_region_codes.sql",
        "shared/0005_idempotency_keys.sql",
        "shared/0008_outbox_notify_when_idle.sql",
        "probe/0001_first.sql",
    ]
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
