"""Keys that cannot be lost silently, under the real runner (finding 2): an old shared
pii.keys is split into one file per service that still opens the old rows; a lost key
file stops `make run` with one line and no new key; rotation and re-encryption through
`amparo keys` while the system runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from deploy.stack import Stack
from services.risk.assessments.schemas import AssessmentCreate
from services.risk.cases.schemas import CaseCreate
from shared.crypto import new_key_spec, spec_key_ids


def _amparo(stack: Stack, *args: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "deploy.cli", *args],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def _open_case(stack: Stack) -> str:
    with stack.client("risk", "risk_analyst") as client:
        r = client.post("/cases", json=CaseCreate.EXAMPLE)
        assert r.status_code == 201, r.text
        case_id = r.json()["id"]
        r = client.post(f"/cases/{case_id}/assessments", json=AssessmentCreate.EXAMPLE)
        assert r.status_code == 201, r.text
    return case_id


def _readable(stack: Stack, case_id: str) -> None:
    with stack.client("risk", "risk_analyst") as client:
        r = client.get(f"/cases/{case_id}")
        assert r.status_code == 200, r.text


@pytest.fixture
def home():
    """Not pytest's tmp_path: another pytest session on the machine may remove an older
    basetemp (and chmod it on the way) while this long test still runs PostgreSQL in it."""
    path = Path(tempfile.mkdtemp(prefix="amparo-keys-")) / "home"
    path.mkdir()
    yield path
    shutil.rmtree(path.parent, ignore_errors=True)


def test_a_lost_key_file_stops_the_run_and_nothing_is_lost(home):
    (home / "pii.keys").write_text(new_key_spec("k1") + "\n")  # a home from before issue 10
    stack = Stack(home)
    stack.start()
    try:
        for service in ("risk", "shelters", "funds"):
            ids = spec_key_ids((home / "keys" / f"{service}.keys").read_text())
            assert ids[0].startswith(f"{service}-") and ids[1:] == ["k1"]  # old rows still open
        assert not (home / "pii.keys").exists() and (home / "pii.keys.pre-split").exists()
        case_id = _open_case(stack)
    finally:
        assert stack.stop() == 0

    key_file = home / "keys" / "risk.keys"
    saved = key_file.read_text()
    key_file.unlink()
    (home / "pii.keys.pre-split").unlink()
    stack = Stack(home)
    with pytest.raises(RuntimeError, match=r"holds encrypted data but .*risk\.keys is missing"):
        stack.start()
    stack.stop()
    assert not key_file.exists()  # no new key over existing data

    # A damaged copy (one character changed, still base64): risk itself refuses, in one line.
    first = next(line for line in saved.splitlines() if line.startswith("risk-"))
    kid, b64 = first.split(":")
    damaged = f"{kid}:{b64[:7]}{'B' if b64[7] != 'B' else 'C'}{b64[8:]}"
    key_file.write_text(saved.replace(first, damaged))
    stack = Stack(home)
    with pytest.raises(
        RuntimeError, match=r"amparo risk: refusing to start: key 'risk-\w+' .* does not open"
    ):
        stack.start()
    stack.stop()

    key_file.write_text(saved)  # restored from backup
    stack = Stack(home)
    stack.start()
    try:
        _readable(stack, case_id)
        added = _amparo(stack, "keys", "add", "--service", "risk")
        assert "new key risk-" in added
        # The running service must know the new key before any row uses it: restart it.
        stack.wait_ready("risk", not_pid=stack.kill_service("risk"))
        moved = _amparo(stack, "keys", "reencrypt", "--service", "risk")
        assert "risk cases.personal: 1 moved" in moved and "risk assessments.private: 1 moved" in moved
        assert "0 moved" in _amparo(stack, "keys", "reencrypt", "--service", "risk")  # resumable
        check = _amparo(stack, "keys", "check", "--service", "risk")
        assert "no rows use it any more" in check and "MISSING" not in check
        for old_kid in spec_key_ids(key_file.read_text())[1:]:
            _amparo(stack, "keys", "retire", "--service", "risk", "--key-id", old_kid)
        assert len(spec_key_ids(key_file.read_text())) == 1
        stack.wait_ready("risk", not_pid=stack.kill_service("risk"))  # starts with the newest key alone
        _readable(stack, case_id)
    finally:
        assert stack.stop() == 0
