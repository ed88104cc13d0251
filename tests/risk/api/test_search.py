"""Finding a case by the defender's name through the blind index: accents and case do not
matter, only the caller's countries, every search audited without its text; the backfill
job indexes old cases and a changed name; the preview scores without recording."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from services.risk.cases.schemas import PersonalData
from services.risk.config import RiskConfig
from services.risk.search.service import backfill
from tests.risk.helpers import assert_problem, case_body, high_answers, required_answers
from tests.support import auth, service_client

ANALYST = auth("risk_analyst", countries=("GT",), sub="ana")
ADMIN = auth("admin", sub="root")


def with_name(name: str, country: str = "GT") -> dict:
    body = case_body(country)
    body["personal"] = {**body["personal"], "full_name": name}
    return body


async def ids(client, name: str, headers=ANALYST) -> set[str]:
    response = await client.get("/cases/search", params={"name": name}, headers=headers)
    assert response.status_code == 200, response.text
    return {c["id"] for c in response.json()["items"]}


async def open_case(client, name: str, country: str = "GT") -> str:
    response = await client.post("/cases", json=with_name(name, country), headers=ADMIN)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_a_case_is_found_by_her_name_with_or_without_accents_in_her_countries(client):
    jose = await open_case(client, "José Pérez López")
    josefa = await open_case(client, "Josefa Perez")
    elsewhere = await open_case(client, "José Pérez", country="MX")

    for typed in ("jose perez", "JOSÉ PÉREZ", "Pérez, José", "lopez"):
        assert await ids(client, typed) == {jose}, typed
    assert await ids(client, "perez") == {jose, josefa}
    assert await ids(client, "jose maria") == set()  # every word must match
    assert await ids(client, "jose perez", headers=ADMIN) == {jose, elsewhere}

    page = (await client.get("/cases/search", params={"name": "perez"}, headers=ANALYST)).json()
    assert page["total"] == 2 and "personal" not in page["items"][0]
    assert "Pérez" not in str(page) and "Perez" not in str(page)


async def test_every_search_is_audited_with_its_count_and_never_its_text(client):
    await open_case(client, "Juana Xol")
    assert len(await ids(client, "juana xol")) == 1
    assert await ids(client, "Nadie Conocida") == set()
    log = (await client.get("/audit", params={"actor": "ana"}, headers=ADMIN)).json()
    searches = [e for e in log["items"] if e["action"] == "case.search"]
    assert [e["result_count"] for e in searches] == [0, 1]  # newest first
    assert all(e["case_id"] is None for e in searches)
    assert "juana" not in str(log).lower() and "nadie" not in str(log).lower()


async def test_a_name_without_letters_and_other_roles_are_refused(client):
    assert_problem(await client.get("/cases/search", params={"name": "123 --"}, headers=ANALYST), 422)
    assert_problem(await client.get("/cases/search", params={"name": ""}, headers=ANALYST), 400)
    staff = auth("network_staff", countries=("GT",))
    assert_problem(await client.get("/cases/search", params={"name": "ana"}, headers=staff), 403)
    response = await client.get("/cases/search", params={"name": "x", "country": "MX"}, headers=ANALYST)
    assert_problem(response, 403)


@pytest.fixture
async def rt(client, settings):
    """The service's config and cipher with a pool of this test's loop (the app's own pool
    lives on the test client's loop), for running the backfill job from the test."""
    from types import SimpleNamespace

    from shared import db

    pool = await db.create_pool(settings.dsn("risk"), min_size=1, max_size=2)
    app_rt = client.app.state.runtime
    yield SimpleNamespace(pool=pool, config=app_rt.config, cipher=app_rt.cipher)
    await pool.close()


async def test_the_backfill_indexes_older_cases_and_a_changed_name(client, rt):
    old = await open_case(client, "Rosa Coc")
    # A case from before the index: no tokens, no index row.
    await rt.pool.execute("DELETE FROM case_name_indexed")
    await rt.pool.execute("DELETE FROM case_name_tokens")
    assert await ids(client, "rosa coc") == set()
    await backfill(rt)
    assert await ids(client, "rosa coc") == {old}

    # Her name changes: the old name stops finding her at once, the new one after the job.
    personal = PersonalData(full_name="Rosa Ích Coc")
    blob = rt.cipher.encrypt_obj(personal, aad=uuid.UUID(old).bytes)
    await rt.pool.execute("UPDATE cases SET personal = $2 WHERE id = $1::uuid", old, blob)
    assert await ids(client, "rosa coc") == set()
    await backfill(rt)
    assert await ids(client, "rosa ich") == {old}
    assert await ids(client, "ROSA ÍCH COC") == {old}


async def test_the_preview_scores_without_recording_anything(client):
    case = await open_case(client, "Ana Preview")
    response = await client.post(
        "/instruments/gender-v1/score", json={"answers": high_answers()}, headers=ANALYST
    )
    assert response.status_code == 200, response.text
    preview = response.json()
    recorded = await client.post(
        f"/cases/{case}/assessments",
        json={"instrument_version": "gender-v1", "answers": high_answers()},
        headers=ANALYST,
    )
    assert recorded.status_code == 201, recorded.text
    for key in ("scores", "computed_level", "level", "measures"):
        assert preview[key] == recorded.json()[key], key
    history = await client.get(f"/cases/{case}/assessments", headers=ANALYST)
    assert history.json()["total"] == 1  # the preview recorded nothing

    over = await client.post(
        "/instruments/gender-v1/score",
        json={"answers": required_answers(), "level_override": "high"},
        headers=ANALYST,
    )
    assert over.json()["computed_level"] == "low" and over.json()["level"] == "high"
    assert over.json()["overridden"] is True and "shelter" in over.json()["measures"]
    assert_problem(
        await client.post("/instruments/gender-v1/score", json={"answers": {}}, headers=ANALYST), 422
    )
    assert_problem(await client.post("/instruments/nope/score", json={"answers": {}}, headers=ANALYST), 404)


async def test_the_history_without_notes_is_not_audited(client):
    case = await open_case(client, "Ana Notes")
    await client.post(
        f"/cases/{case}/assessments",
        json={"instrument_version": "gender-v1", "answers": high_answers(), "notes": "secreto"},
        headers=ANALYST,
    )
    plain = await client.get(f"/cases/{case}/assessments", params={"notes": "false"}, headers=ANALYST)
    assert plain.status_code == 200 and plain.json()["items"][0]["notes"] is None
    assert "secreto" not in plain.text
    log = (await client.get("/audit", params={"case_id": case}, headers=ADMIN)).json()
    assert log["total"] == 0


async def test_the_service_will_not_start_without_its_blind_index_key(make_settings):
    from shared.config import ConfigError

    settings = await make_settings("risk")
    with pytest.raises(BaseException) as info:
        async with service_client("risk", settings, RiskConfig(blind_index_key="")):
            pass
    assert info.group_contains(ConfigError, match="BLIND_INDEX") or info.errisinstance(ConfigError)


def test_the_config_reads_the_key_from_its_variable():
    from shared.config import load_config

    config = load_config(RiskConfig, {"AMPARO_BLIND_INDEX_KEY_FILE": "/k"})
    assert msgspec.structs.asdict(config)["blind_index_key_file"] == "/k"


async def test_the_summary_of_a_case_has_no_personal_data_and_is_not_audited(client):
    case = await open_case(client, "Ana Summary")
    response = await client.get(f"/cases/{case}/summary", headers=ANALYST)
    assert response.status_code == 200, response.text
    assert "personal" not in response.json() and "Summary" not in response.text
    assert (await client.get("/audit", params={"case_id": case}, headers=ADMIN)).json()["total"] == 0
    other = auth("risk_analyst", countries=("MX",))
    assert_problem(await client.get(f"/cases/{case}/summary", headers=other), 404)


async def test_a_blocked_or_erased_case_is_not_found_by_name(client, rt):
    blocked = await open_case(client, "Marta Blocked Coc")
    erased = await open_case(client, "Marta Erased Coc")
    for case in (blocked, erased):
        closed = await client.post(f"/cases/{case}/close", json={"reason": "risk_resolved"}, headers=ADMIN)
        assert closed.status_code == 200, closed.text
    assert await ids(client, "marta coc") == {blocked, erased}
    await rt.pool.execute(
        "UPDATE cases SET personal_data = 'blocked', personal_data_blocked_at = now() WHERE id = $1::uuid",
        blocked,
    )
    await rt.pool.execute(
        """UPDATE cases SET personal = NULL, personal_data = 'erased', personal_data_erased_at = now(),
                  personal_data_erasure_reason = 'retention_period' WHERE id = $1::uuid""",
        erased,
    )
    assert await ids(client, "marta coc") == set()  # at once (the trigger)
    await backfill(rt)
    assert await ids(client, "marta coc") == set()  # and after the job (no tokens)
    indexed = await rt.pool.fetchval("SELECT count(*) FROM case_name_indexed WHERE case_id = ANY($1::uuid[])",
                                     [blocked, erased])  # fmt: skip
    assert indexed == 2  # the job does not take them up again
