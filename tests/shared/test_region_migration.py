"""The migration to region codes (shared 0004 and risk/shelters 0005_region_codes.sql): a
known name or code becomes its ISO code, anything else (an address, perhaps) is dropped, in
the rows and in the events still in the outbox."""

from __future__ import annotations

import importlib
import json
import shutil
import uuid
from pathlib import Path

import asyncpg

from shared import db
from shared.config import with_database
from shared.events import decode_event

ADDRESS = "Calle del Río 14, Cobán"


async def _migrated_before_codes(pg_url: str, service: str, tmp_path: Path) -> tuple[str, Path]:
    """A database of ``service`` migrated up to, not including, 0005_region_codes.sql."""
    source = Path(importlib.import_module(f"services.{service}").__file__).parent / "migrations"
    before = tmp_path / service / "migrations"
    before.mkdir(parents=True)
    for f in sorted(source.glob("*.sql")):
        if f.name < "0005_region_codes.sql":
            shutil.copy(f, before / f.name)
    name = f"regions_{service}_{uuid.uuid4().hex[:8]}"
    await db.ensure_database(pg_url, name)
    dsn = with_database(pg_url, name)
    await db.migrate(dsn, before)
    (before / "0005_region_codes.sql").write_text((source / "0005_region_codes.sql").read_text())
    return dsn, before


def _event(subject: str, data: dict) -> bytes:
    return json.dumps(
        {
            "id": str(uuid.uuid4()),
            "type": subject,
            "version": 1,
            "occurred_at": "2026-01-01T00:00:00Z",
            "case_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
            "causation_id": None,
            "producer": "risk",
            "data": data,
        }
    ).encode()


async def test_risk_keeps_codes_maps_names_and_drops_free_text(pg_url, tmp_path):
    dsn, migrations = await _migrated_before_codes(pg_url, "risk", tmp_path)
    conn = await asyncpg.connect(dsn)
    try:
        cases = {}
        for region, country in (
            ("Petén", "GT"),
            ("peten", "GT"),
            ("GT-PE", "GT"),
            ("MX-CHP", "MX"),
            (ADDRESS, "GT"),
            ("Chiapas", "GT"),
            ("Alta Verapaz", "GT"),
        ):
            cases[region] = uuid.uuid4()
            await conn.execute(
                "INSERT INTO cases (id, country, region, line_of_defence, party, personal, opened_by)"
                " VALUES ($1, $2, $3, 'other', '{}', '\\x00', 'x')",
                cases[region],
                country,
                region,
            )
        await conn.execute(
            "INSERT INTO assessments (id, case_id, instrument_version, answers, scores, computed_level, level,"
            " overridden, measures, party, excluded_regions, private, recorded_by)"
            " VALUES ($1, $2, 'gender-v1', '{}', '{}', 'high', 'high', false, '{}', '{}', $3, '\\x00', 'x')",
            uuid.uuid4(),
            cases["Petén"],
            ["Petén", ADDRESS, "La Paz", "MX", "Izabal", "GT-17"],
        )
        await conn.execute(
            "INSERT INTO outbox (id, subject, payload) VALUES ($1, $2, $3)",
            uuid.uuid4(),
            "amparo.risk.assessment.recorded",
            _event(
                "amparo.risk.assessment.recorded",
                {
                    "assessment_id": str(uuid.uuid4()),
                    "instrument_version": "gender-v1",
                    "computed_level": "high",
                    "level": "high",
                    "scores": {},
                    "measures": ["shelter"],
                    "country": "GT",
                    "region": ADDRESS,
                    "party": {"adults": 1},
                    "excluded_regions": ["Izabal", ADDRESS],
                },
            ),
        )
        assert await db.migrate(dsn, migrations) == ["risk/0005_region_codes.sql"]
        regions = dict(await conn.fetch("SELECT id, region FROM cases"))
        assert {r: regions[i] for r, i in cases.items()} == {
            "Petén": "GT-17",
            "peten": "GT-17",
            "GT-PE": "GT-17",
            "MX-CHP": "MX-CHP",
            ADDRESS: None,
            "Chiapas": None,
            "Alta Verapaz": "GT-16",
        }
        # A name two countries share excludes both (the safe side); the address is gone.
        assert await conn.fetchval("SELECT excluded_regions FROM assessments") == [
            "GT-17",
            "HN-LP",
            "SV-PA",
            "MX",
            "GT-18",
        ]
        event = decode_event(await conn.fetchval("SELECT payload FROM outbox"))
        assert event.data.region is None and event.data.excluded_regions == ["GT-18"]
        dump = await conn.fetchval(
            "SELECT concat((SELECT string_agg(c::text, ' ') FROM cases c), (SELECT string_agg(a::text, ' ')"
            " FROM assessments a), (SELECT string_agg(convert_from(payload, 'UTF8'), ' ') FROM outbox))"
        )
        assert "Calle" not in dump
    finally:
        await conn.close()


async def test_shelters_rewrite_regions_exclusions_and_the_reason_of_a_hold(pg_url, tmp_path):
    dsn, migrations = await _migrated_before_codes(pg_url, "shelters", tmp_path)
    conn = await asyncpg.connect(dsn)
    try:
        known, unknown = uuid.uuid4(), uuid.uuid4()
        for sid, region in ((known, "Petén"), (unknown, ADDRESS)):
            await conn.execute(
                "INSERT INTO shelters (id, code, kind, country, region, confidential)"
                " VALUES ($1, $2, 'shelter', 'GT', $3, '\\x00')",
                sid,
                sid.hex[:6],
                region,
            )
        await conn.execute(
            "INSERT INTO placements (id, case_id, country, region, adults, level, level_rank, excluded_regions,"
            " shelter_id, reason) VALUES ($1, $2, 'GT', $3, 1, 'high', 2, $4, $5, $6)",
            uuid.uuid4(),
            uuid.uuid4(),
            ADDRESS,
            ["Quiché", ADDRESS],
            known,
            "same_country; region=Petén; outside_excluded_regions",
        )
        assert await db.migrate(dsn, migrations) == ["shelters/0005_region_codes.sql"]
        assert dict(await conn.fetch("SELECT id, region FROM shelters")) == {known: "GT-17", unknown: None}
        p = await conn.fetchrow("SELECT region, excluded_regions, reason FROM placements")
        assert p["region"] is None and p["excluded_regions"] == ["GT-14"]
        assert p["reason"] == "same_country; region=GT-17; outside_excluded_regions"
    finally:
        await conn.close()
