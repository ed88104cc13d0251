"""Keys that cannot be lost silently (finding 2): a damaged key file is refused, a service
refuses to start when its data uses a key it lacks, a cipher failure is a 503 that names
the operator's action, and re-encryption moves every row to the newest key."""

from __future__ import annotations

import base64
import uuid

import asyncpg
import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from services.risk.assessments.schemas import AssessmentCreate
from services.risk.cases.schemas import CaseCreate
from shared.ciphertexts import reencrypt, registry
from shared.config import ConfigError
from shared.crypto import CipherError, KeyFileError, PiiCipher, new_key_spec
from shared.problems import EXCEPTION_HANDLERS
from tests.support import auth, service_client

ANALYST = auth("risk_analyst", countries=("GT", "MX", "SV", "HN", "NI", "CR"), sub="ana")


def _flip(spec: str, replacement: str) -> str:
    kid, b64 = spec.split(":")
    return f"{kid}:{b64[:10]}{replacement}{b64[11:]}"


def test_a_key_file_with_a_character_that_is_not_base64_is_refused():
    spec = new_key_spec("k1")
    with pytest.raises(KeyFileError, match="not valid base64"):
        PiiCipher.from_spec(_flip(spec, "!"))


def test_a_key_of_the_wrong_length_or_a_repeated_id_is_refused_without_quoting_it():
    short = "k1:" + base64.b64encode(b"x" * 31).decode()
    with pytest.raises(KeyFileError, match="31 bytes") as info:
        PiiCipher.from_spec(short)
    assert short.split(":")[1] not in str(info.value)
    spec = new_key_spec("k1")
    with pytest.raises(KeyFileError, match="twice"):
        PiiCipher.from_spec(f"{spec}\n{spec}")


def test_key_files_hold_one_key_per_line_newest_first_with_comments():
    new, old = new_key_spec("k2"), new_key_spec("k1")
    cipher = PiiCipher.from_spec(f"# rotated\n{new}\n{old}\n")
    assert cipher.key_ids == ["k2", "k1"]


def test_a_cipher_failure_in_a_request_is_a_503_that_names_the_operator_action():
    @get("/secret", sync_to_thread=False)
    def secret() -> str:
        PiiCipher.from_spec(new_key_spec("k2")).decrypt(PiiCipher.from_spec(new_key_spec("k1")).encrypt(b"x"))
        return "never"

    with TestClient(Litestar([secret], exception_handlers=EXCEPTION_HANDLERS)) as client:
        response = client.get("/secret")
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "keys.missing"
    assert "operator" in body["detail"] and "amparo keys check" in body["detail"]
    assert response.headers["retry-after"]


async def _case_with_assessment(client, key: str | None = None) -> str:
    # With a key, the stored answer to a retry is encrypted too (shared/idempotency.py).
    headers = {**ANALYST, "Idempotency-Key": key} if key else ANALYST
    r = await client.post("/cases", json=CaseCreate.EXAMPLE, headers=headers)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]
    r = await client.post(f"/cases/{case_id}/assessments", json=AssessmentCreate.EXAMPLE, headers=ANALYST)
    assert r.status_code == 201, r.text
    return case_id


async def test_risk_refuses_to_start_when_its_data_uses_a_key_its_file_lacks(make_settings, tmp_path, capsys):
    first = new_key_spec("first")
    settings = await make_settings("risk", pii_keys=first)
    async with service_client("risk", settings) as client:
        await _case_with_assessment(client)

    lost = tmp_path / "risk.keys"
    lost.write_text(new_key_spec("other") + "\n")  # `make run` on main wrote a new key here
    assert "key id 'first'" in await refusal(_replace(settings, pii_keys="", pii_key_file=str(lost)))
    assert "refusing to start" in capsys.readouterr().err

    damaged = tmp_path / "damaged.keys"  # same id, one base64 character changed: still 32 bytes
    kid, b64 = first.split(":")
    damaged.write_text(f"{kid}:{b64[:5]}{'A' if b64[5] != 'A' else 'B'}{b64[6:]}\n")
    assert "damaged" in await refusal(_replace(settings, pii_keys="", pii_key_file=str(damaged)))

    malformed = tmp_path / "malformed.keys"
    malformed.write_text(_flip(first, "!") + "\n")
    assert "not valid base64" in await refusal(_replace(settings, pii_keys="", pii_key_file=str(malformed)))

    # The right file back: everything is readable, nothing was lost.
    async with service_client("risk", _replace(settings, pii_keys=first)) as client:
        cases = (await client.get("/cases", headers=ANALYST)).json()["items"]
        r = await client.get(f"/cases/{cases[0]['id']}", headers=ANALYST)
        assert r.status_code == 200, r.text


async def refusal(settings) -> str:
    """The reason the service refused to start (it must refuse)."""
    try:
        async with service_client("risk", settings):
            pass
    except BaseException as exc:  # the test client wraps it in an ExceptionGroup
        found = _config_errors(exc)
        assert found, exc
        return str(found[0])
    raise AssertionError("the service started")


def _config_errors(exc: BaseException) -> list[ConfigError]:
    if isinstance(exc, ConfigError):
        return [exc]
    return [e for sub in getattr(exc, "exceptions", ()) for e in _config_errors(sub)]


def _replace(settings, **changes):
    import msgspec

    return msgspec.structs.replace(settings, **changes)


async def test_reencrypt_moves_every_row_to_the_newest_key_and_resumes(make_settings):
    old = new_key_spec("old")
    settings = await make_settings("risk", pii_keys=old)
    async with service_client("risk", settings) as client:
        case_ids = [await _case_with_assessment(client, key) for key in (None, None, "retry-1")]

    new = new_key_spec("new")
    rotated = PiiCipher.from_spec(f"{new},{old}")
    pool = await asyncpg.create_pool(settings.dsn("risk"), min_size=1, max_size=2)
    try:
        moved = {e.name: await reencrypt(pool, rotated, e, batch=2) for e in registry("risk")}
        assert {n: (m.moved, m.left) for n, m in moved.items()} == {
            "cases.personal": (3, 0),
            "assessments.private": (3, 0),
            "idempotency_keys.fingerprint": (1, 0),
            "idempotency_keys.answer": (1, 0),
        }
        again = [await reencrypt(pool, rotated, e) for e in registry("risk")]
        assert [m.moved for m in again] == [0, 0, 0, 0]  # resumable: done rows are not touched again
        kids = await pool.fetchval("SELECT array_agg(DISTINCT get_byte(personal, 3)) FROM cases")
        assert kids == [ord("n")]
        with pytest.raises(asyncpg.CheckViolationError):  # still immutable otherwise
            await pool.execute("UPDATE assessments SET level = 'low'")
    finally:
        await pool.close()

    async with service_client("risk", _replace(settings, pii_keys=new)) as client:
        # A retry after the rotation still gets its first answer.
        retried = await client.post(
            "/cases", json=CaseCreate.EXAMPLE, headers={**ANALYST, "Idempotency-Key": "retry-1"}
        )
        assert retried.status_code == 200 and retried.json()["id"] == case_ids[2]
        for case_id in case_ids:
            assert (await client.get(f"/cases/{case_id}", headers=ANALYST)).status_code == 200
            r = await client.get(f"/cases/{case_id}/assessments", headers=ANALYST)
            assert r.status_code == 200, r.text


def test_every_encrypting_service_declares_its_columns():
    assert [e.name for e in registry("risk")] == [
        "cases.personal",
        "assessments.private",
        "idempotency_keys.fingerprint",
        "idempotency_keys.answer",
    ]
    assert "shelters.confidential" in [e.name for e in registry("shelters")]
    assert "votes.comment_enc" in [e.name for e in registry("funds")]
    with pytest.raises(CipherError):
        PiiCipher.from_spec(new_key_spec()).decrypt(b"A1\x01x" + uuid.uuid4().bytes)


def test_adding_a_key_keeps_the_old_ones_after_it(tmp_path):
    from deploy.keys import HEADER, add_key

    path = tmp_path / "risk.keys"
    path.write_text(HEADER + new_key_spec("risk-1") + "\n")
    kid = add_key(path, "risk")
    assert PiiCipher.from_spec(path.read_text()).key_ids == [kid, "risk-1"]
    assert add_key(path, "risk") != kid and len(PiiCipher.from_spec(path.read_text()).key_ids) == 3
