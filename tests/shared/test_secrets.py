"""Secret files are never readable by others, not even while being written (finding 9)."""

from __future__ import annotations

import os
import stat

import pytest

from deploy.secrets import password, private_dir, private_log, secret_file, write_secret


@pytest.fixture
def open_umask():
    """The worst case: a umask that would make every new file world-readable."""
    old = os.umask(0)
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_secret_is_0600_from_its_first_byte_and_replaced_atomically(tmp_path, monkeypatch, open_umask):
    seen = []
    real_fsync = os.fsync

    def fsync(fd):  # the moment the bytes are in the file, before it takes its name
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    path = write_secret(tmp_path / "jwt.secret", "s3cret\n")
    assert seen == [0o600]
    assert _mode(path) == 0o600 and path.read_text() == "s3cret\n"
    assert [p.name for p in tmp_path.iterdir()] == ["jwt.secret"]  # no temporary file left


def test_existing_secrets_are_kept_and_tightened(tmp_path, open_umask):
    path = tmp_path / "pii.keys"
    path.write_text("old\n")
    path.chmod(0o644)  # written by an older version
    assert secret_file(path, lambda: "new").read_text() == "old\n"
    assert _mode(path) == 0o600
    first = password(tmp_path / "p")
    assert password(tmp_path / "p") == first and len(first) >= 32 and _mode(tmp_path / "p") == 0o600


def test_private_dirs_and_logs(tmp_path, open_umask):
    home = tmp_path / "home"
    home.mkdir(mode=0o755)
    assert _mode(private_dir(home)) == 0o700
    with private_log(home / "risk.log") as log:
        log.write(b"line\n")
    assert _mode(home / "risk.log") == 0o600
