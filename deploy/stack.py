"""The whole system as `make run` starts it, in a temporary home on free ports.

Used by the end-to-end tests, the benchmark and anyone who wants a throw-away stack.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from deploy.embedded import free_ports
from deploy.secrets import private_log


class Stack:
    """`amparo run` in its own home on free ports; tokens come from `amparo token`."""

    def __init__(self, home: Path) -> None:
        self.home = home
        *ports, self.nats_port = free_ports(5)
        self.ports = dict(zip(("risk", "shelters", "funds", "console"), ports, strict=True))
        self.env = dict(os.environ)
        for key in [k for k in self.env if k.startswith("AMPARO_")]:
            del self.env[key]
        self.env.update(
            AMPARO_HOME=str(home),
            AMPARO_NATS_PORT=str(self.nats_port),
            AMPARO_RISK_PORT=str(self.ports["risk"]),
            AMPARO_SHELTERS_PORT=str(self.ports["shelters"]),
            AMPARO_FUNDS_PORT=str(self.ports["funds"]),
            AMPARO_CONSOLE_PORT=str(self.ports["console"]),
        )
        self.process: subprocess.Popen | None = None
        self._tokens: dict[tuple, str] = {}
        self.log = home / "runner.log"

    def start(self, timeout: float = 120.0) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        out = private_log(self.log)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "deploy.cli", "run"], env=self.env, stdout=out, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"amparo run exited: {self.log.read_text()[-2000:]}")
            if self.state_file.exists() and "Stop: Ctrl-C" in self.log.read_text():
                return
            time.sleep(0.2)
        raise RuntimeError(f"amparo run did not come up: {self.log.read_text()[-2000:]}")

    def stop(self) -> int:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    @property
    def state_file(self) -> Path:
        return self.home / "run.json"

    def state(self) -> dict:
        return json.loads(self.state_file.read_text())

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def token(
        self,
        role: str,
        countries: tuple[str, ...] = ("MX", "GT", "SV", "HN", "NI", "CR"),
        sub: str | None = None,
    ) -> str:
        key = (role, countries, sub)
        if key not in self._tokens:
            args = [
                sys.executable,
                "-m",
                "deploy.cli",
                "token",
                "--role",
                role,
                "--sub",
                sub or f"e2e-{role}",
            ]
            for country in countries:
                args += ["--country", country]
            self._tokens[key] = subprocess.run(
                args, env=self.env, check=True, capture_output=True, text=True
            ).stdout.strip()
        return self._tokens[key]

    def client(self, service: str, role: str, **kwargs) -> httpx.Client:
        return httpx.Client(
            base_url=self.url(service),
            headers={"Authorization": f"Bearer {self.token(role, **kwargs)}"},
            timeout=30,
        )

    def kill_service(self, service: str) -> int:
        """SIGKILL one service process; the runner restarts it. Returns the old pid."""
        pid = self.state()["services"][service]["pid"]
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_ready(self, service: str, *, not_pid: int | None = None, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                pid = self.state()["services"][service]["pid"]
                if (not_pid is None or pid != not_pid) and httpx.get(
                    self.url(service) + "/ready", timeout=2
                ).status_code == 200:
                    return
            except (httpx.HTTPError, KeyError, json.JSONDecodeError, FileNotFoundError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"{service} did not become ready again")

    # --- faults (tests/e2e/test_outages.py): what an operator would see die ---------------

    def nats_pid(self) -> int | None:
        """The nats-server of this stack (its config lives in this home)."""
        conf = str(self.home / "nats" / "nats.conf")
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if conf.encode() in cmdline and b"nats-server" in cmdline[0]:
                return int(entry.name)
        return None

    def postgres_pid(self) -> int | None:
        """The postmaster of this stack, from its postmaster.pid (None when not running)."""
        from deploy.embedded import process_alive

        try:
            pid = int((self.home / "pg" / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None
        return pid if process_alive(pid) else None

    def kill_nats(self) -> int:
        pid = self.nats_pid()
        assert pid is not None, "no nats-server running"
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_postgres(self) -> int:
        """SIGKILL the postmaster (its backends notice and exit; PostgreSQL replays its
        WAL at the next start)."""
        pid = self.postgres_pid()
        assert pid is not None, "no postmaster running"
        os.kill(pid, signal.SIGKILL)
        return pid

    def pause_runner(self) -> None:
        """Stop the runner itself (SIGSTOP): nothing is restarted until ``resume_runner``,
        so an outage lasts as long as a test needs."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume_runner(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGCONT)

    def all_ready(self, services=("risk", "shelters", "funds")) -> bool:
        try:
            return all(httpx.get(self.url(s) + "/ready", timeout=2).status_code == 200 for s in services)
        except httpx.HTTPError:
            return False
