"""The embedded single-machine runner behind `make run`.

Starts PostgreSQL and nats-server from the wheels (unless AMPARO_DATABASE_URL /
AMPARO_NATS_URL point elsewhere), creates databases, migrations and streams, then runs
each service as its own process and restarts one that dies. Ctrl-C or SIGTERM stops
everything; the data under .amparo/ stays for the next run.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from deploy.embedded import StartError, port_in_use, start_nats, start_postgres
from shared.config import DEFAULT_PORTS
from shared.crypto import new_key_spec


def _secret_file(path: Path, make) -> Path:
    if not path.exists():
        path.write_text(make() + "\n")
        path.chmod(0o600)
    return path


def _signing_key_files(home: Path) -> tuple[Path, Path]:
    """jwt.key (private, 0600: the console and `amparo token`) and jwt.pub (the services)."""
    from shared.auth import new_signing_key, public_pem

    private_file, public_file = home / "jwt.key", home / "jwt.pub"
    if not private_file.exists():
        # Created 0600 in one step: the key is never readable by others, not even briefly.
        fd = os.open(private_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(new_signing_key()[0])
    public_file.write_text(public_pem(private_file.read_text()))
    return private_file, public_file


def _say(line: str) -> None:
    print(line, flush=True)


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url + "/ready", timeout=2) as resp:
                if resp.status == 200:
                    return True
        except Exception:
            pass
        time.sleep(0.2)
    return False


def run_stack(home: Path, services: list[str]) -> int:
    home.mkdir(parents=True, exist_ok=True)
    jwt_key, jwt_pub = _signing_key_files(home)
    key_file = _secret_file(home / "pii.keys", lambda: new_key_spec("k1"))
    ports = {s: int(os.environ.get(f"AMPARO_{s.upper()}_PORT", DEFAULT_PORTS[s])) for s in services}
    for service, port in ports.items():
        if port_in_use(port):
            _say(
                f"amparo: port {port} ({service}) is already in use; stop what runs there or set AMPARO_{service.upper()}_PORT"
            )
            return 1

    pg = nats = None
    children: dict[str, subprocess.Popen] = {}
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        database_url = os.environ.get("AMPARO_DATABASE_URL")
        if not database_url:
            _say("starting PostgreSQL (embedded) ...")
            pg = start_postgres(home / "pg")
            database_url = pg.url
        nats_url = os.environ.get("AMPARO_NATS_URL")
        if not nats_url:
            _say("starting nats-server with JetStream (sync_interval: always) ...")
            nats = start_nats(
                home / "nats", port=int(os.environ.get("AMPARO_NATS_PORT", 4222)), log_file=home / "nats.log"
            )
            nats_url = nats.url

        from deploy.cli import migrate_all

        applied = asyncio.run(migrate_all(database_url, services))
        for service, names in applied.items():
            if names:
                _say(f"migrated {service}: {', '.join(names)}")
        asyncio.run(_ensure_streams(nats_url))

        env = dict(os.environ)
        env.update(
            AMPARO_DATABASE_URL=database_url,
            AMPARO_NATS_URL=nats_url,
            AMPARO_JWT_PUBLIC_KEY_FILE=str(jwt_pub),
            AMPARO_PII_KEY_FILE=str(key_file),
        )
        env.pop("AMPARO_DATABASE_NAME", None)
        # The console signs tokens and calls the services over HTTP; it holds no PII key.
        console_env = {k: v for k, v in env.items() if k != "AMPARO_PII_KEY_FILE"}
        console_env["AMPARO_JWT_PRIVATE_KEY_FILE"] = str(jwt_key)
        for name in ("risk", "shelters", "funds"):
            port = os.environ.get(f"AMPARO_{name.upper()}_PORT", DEFAULT_PORTS[name])
            console_env[f"AMPARO_{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
        logs = home / "logs"
        logs.mkdir(exist_ok=True)

        def spawn(service: str) -> subprocess.Popen:
            out = open(logs / f"{service}.log", "ab")
            return subprocess.Popen(
                [sys.executable, "-m", "deploy.cli", "serve", service, "--port", str(ports[service])],
                # Only the console gets the signing key's path: the services verify, never sign.
                env=console_env if service == "console" else env,
                stdout=out,
                stderr=out,
            )

        for service in services:
            children[service] = spawn(service)
        for service in services:
            url = f"http://127.0.0.1:{ports[service]}"
            if not _wait_ready(url, children[service]):
                _say(f"amparo: {service} did not become ready; see {logs / (service + '.log')}")
                return 1
        _write_state(home, children, ports, database_url, nats_url)
        first_password = _first_admin(database_url) if "console" in services else None
        _say("")
        _say("Amparo is running:")
        for service in services:
            url = f"http://127.0.0.1:{ports[service]}"
            _say(f"  {service:9} {url}" + ("" if service == "console" else f"   OpenAPI {url}/schema"))
        _say(f"  database  {database_url}")
        _say(f"  nats      {nats_url}")
        _say(f"  logs      {logs}/")
        if "console" in services:
            _say("")
            _say(f"Open the console:  http://127.0.0.1:{ports['console']}")
            if first_password:
                from deploy.users import FIRST_ADMIN

                _say(f"  first sign-in: {FIRST_ADMIN} / {first_password}   (shown only this once)")
        _say("Get a token:  .venv/bin/amparo token --role risk_analyst --country GT")
        _say("Stop: Ctrl-C")

        restarts: dict[str, float] = {}
        while not stopping:
            time.sleep(0.5)
            for service, proc in list(children.items()):
                if proc.poll() is not None and not stopping:
                    last = restarts.get(service, 0.0)
                    if time.monotonic() - last < 1.0:
                        time.sleep(1.0)
                    _say(f"amparo: {service} exited (code {proc.returncode}); restarting")
                    restarts[service] = time.monotonic()
                    children[service] = spawn(service)
                    _write_state(home, children, ports, database_url, nats_url)
        _say("stopping ...")
        return 0
    except StartError as exc:
        _say(f"amparo: {exc}")
        return 1
    finally:
        for proc in children.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in children.items():
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                _say(f"amparo: {name} did not stop within 15 s; killing it")
                proc.kill()
        if nats is not None:
            nats.stop()
        if pg is not None:
            pg.stop()
        (home / "run.json").unlink(missing_ok=True)


def _first_admin(database_url: str) -> str | None:
    from deploy.users import ensure_first_admin

    return asyncio.run(ensure_first_admin(database_url))


def _write_state(home: Path, children, ports, database_url: str, nats_url: str) -> None:
    state = {
        "pid": os.getpid(),
        "services": {s: {"pid": p.pid, "url": f"http://127.0.0.1:{ports[s]}"} for s, p in children.items()},
        "database_url": database_url,
        "nats_url": nats_url,
    }
    (home / "run.json").write_text(json.dumps(state, indent=2))


async def _ensure_streams(nats_url: str) -> None:
    import nats

    from shared import broker

    # A one-shot connection: none of the services' reconnect-and-warn callbacks.
    nc = await nats.connect(nats_url, name="amparo-runner")
    try:
        await broker.ensure_streams(nc.jetstream())
    finally:
        await nc.close()


async def list_dead_letters(nats_url: str, *, limit: int = 50) -> list[dict[str, str]]:
    import nats
    from nats.js.errors import NotFoundError

    nc = await nats.connect(nats_url, name="amparo-deadletters")
    try:
        js = nc.jetstream()
        try:
            info = await js.stream_info("DEADLETTER")
        except NotFoundError:
            return []
        rows = []
        first = max(info.state.first_seq, info.state.last_seq - limit + 1)
        for seq in range(first, info.state.last_seq + 1):
            try:
                msg = await js.get_msg("DEADLETTER", seq)
            except NotFoundError:
                continue
            headers = msg.headers or {}
            rows.append(
                {
                    "seq": str(seq),
                    "subject": headers.get("Amparo-Original-Subject", "?"),
                    "consumer": headers.get("Amparo-Consumer", "?"),
                    "stream_seq": headers.get("Amparo-Stream-Seq", "?"),
                    "error": headers.get("Amparo-Error", "?"),
                    "deliveries": headers.get("Amparo-Deliveries", "?"),
                }
            )
        return rows
    finally:
        await nc.close()
