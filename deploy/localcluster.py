"""`amparo run --cluster`: the multi-machine shape on one machine.

Three nats-server nodes (one cluster, routes authenticated with their own user and
password, JetStream with ``sync_interval: always``, every stream on all three: R3), one
PostgreSQL, and two replicas of each service as separate processes, each connected to
all three nodes. It is what deploy/cluster/ and deploy/k8s/ describe for several
machines, small enough to kill parts of: tests/deploy/test_cluster.py kills a NATS node
and a replica of each service while cases go through.

State in AMPARO_HOME like `make run` (run.json names the first replica of each service,
``replicas`` all of them), so `amparo replay`, `amparo deadletters` and `amparo demo` work
against it. Use an AMPARO_HOME of its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from deploy import keys
from deploy.embedded import StartError, free_ports, nats_binary, nats_env, start_postgres
from deploy.natsconf import authorization
from deploy.runner import (
    _pg_traverse_group,
    _provision_and_migrate,
    _signing_key_files,
    _wait_ready,
    _with_user,
    nats_passwords,
)
from deploy.secrets import password, private_dir, private_log, write_secret
from shared import broker
from shared.config import SERVICES

NODES = 3
CLUSTER_NAME = "amparo"


@dataclass
class Node:
    name: str
    port: int
    cluster_port: int
    store: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"


@dataclass
class Replica:
    service: str
    index: int
    port: int
    process: subprocess.Popen | None = None

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def node_conf(node: Node, nodes: list[Node], route_password: str, passwords: dict[str, str]) -> str:
    """One node's nats.conf: its own name, ports and store; the cluster's routes, each
    authenticated with the route user; the same users and permissions as `make run`."""
    routes = "\n".join(f"    nats-route://route:{route_password}@127.0.0.1:{n.cluster_port}" for n in nodes)
    return f"""server_name: {node.name}
host: 127.0.0.1
port: {node.port}
max_payload: 1MB
jetstream {{
  store_dir: "{node.store}"
  max_memory_store: 64MB
  max_file_store: 2GB
  sync_interval: always
}}
cluster {{
  name: {CLUSTER_NAME}
  host: 127.0.0.1
  port: {node.cluster_port}
  # A route must log in: a process that cannot cannot join the cluster or read its streams.
  authorization {{
    user: route
    password: {json.dumps(route_password)}
    timeout: 2
  }}
  routes: [
{routes}
  ]
}}
{authorization(passwords)}"""


@dataclass
class LocalCluster:
    home: Path
    replicas: int = 2
    services: tuple[str, ...] = SERVICES
    nodes: list[Node] = field(default_factory=list)
    running: list[Replica] = field(default_factory=list)
    database_url: str = ""
    service_urls: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.home = self.home.resolve()
        self._pg = None
        self._passwords: dict[str, str] = {}
        self._env: dict[str, dict[str, str]] = {}

    # --- addresses -------------------------------------------------------------------

    @property
    def nats_url(self) -> str:
        return ",".join(node.url for node in self.nodes)

    @property
    def operator_nats_url(self) -> str:
        return ",".join(_with_user(n.url, "operator", self._passwords["operator"]) for n in self.nodes)

    def replicas_of(self, service: str) -> list[Replica]:
        return [r for r in self.running if r.service == service]

    # --- start -----------------------------------------------------------------------

    def start(self, timeout: float = 120.0) -> None:
        private_dir(self.home)
        secrets = private_dir(self.home / "secrets")
        self._passwords = nats_passwords(self.home)
        route_password = password(secrets / "nats-route.password")
        logs = private_dir(self.home / "logs")
        self._pg = start_postgres(
            self.home / "pg", admin_password=password(secrets / "postgres-admin.password")
        )
        self.database_url = self._pg.url
        # As root the server runs as its own user, which must pass through the home (runner.py).
        private_dir(self.home, traverse_group=_pg_traverse_group(self.home / "pg"))
        base = private_dir(self.home / "nats-cluster")
        # Every port of the cluster at once: all different (deploy.embedded.free_ports).
        ports = iter(free_ports(2 * NODES + len(self.services) * self.replicas))
        self.nodes = [
            Node(f"nats-{i}", next(ports), next(ports), private_dir(base / f"nats-{i}"))
            for i in range(1, NODES + 1)
        ]
        for node in self.nodes:
            conf = node.store / "nats.conf"
            write_secret(conf, node_conf(node, self.nodes, route_password, self._passwords))
            self._spawn_node(node, logs)
        asyncio.run(self._streams(timeout))
        self.service_urls = asyncio.run(_provision_and_migrate(self.home, self.database_url, self.services))
        _jwt_key, jwt_pub = _signing_key_files(self.home)
        for service in self.services:
            key_file = keys.ensure_service_key(self.home, service, holds_ciphertext=False)
            self._env[service] = self._service_env(service, key_file, jwt_pub)
        for service in self.services:
            for index in range(1, self.replicas + 1):
                replica = Replica(service, index, next(ports))
                self._spawn_replica(replica, logs)
                self.running.append(replica)
        for replica in self.running:
            if not _wait_ready(replica.url, replica.process, timeout=timeout):
                raise StartError(f"{replica.name} did not become ready; see {logs / (replica.name + '.log')}")
        self._write_state()

    def _spawn_node(self, node: Node, logs: Path) -> None:
        out = private_log(logs / f"{node.name}.log")
        node.process = subprocess.Popen(
            [nats_binary(), "-c", str(node.store / "nats.conf")], stdout=out, stderr=out, env=nats_env()
        )

    def _service_env(self, service: str, key_file: Path, jwt_pub: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
        env.update(
            AMPARO_HOME=str(self.home),
            AMPARO_DATABASE_URL=self.service_urls[service],
            AMPARO_NATS_URL=self.nats_url,
            AMPARO_NATS_USER=service,
            AMPARO_NATS_PASSWORD=self._passwords[service],
            AMPARO_STREAM_REPLICAS=str(NODES),
            AMPARO_PII_KEY_FILE=str(key_file),
            AMPARO_JWT_PUBLIC_KEY_FILE=str(jwt_pub),
        )
        if service == "risk":  # the name search's blind index key: risk's alone
            env["AMPARO_BLIND_INDEX_KEY_FILE"] = str(keys.ensure_index_key(self.home))
        return env

    def _spawn_replica(self, replica: Replica, logs: Path) -> None:
        out = private_log(logs / f"{replica.name}.log")
        replica.process = subprocess.Popen(
            [sys.executable, "-m", "deploy.cli", "serve", replica.service, "--port", str(replica.port)],
            env=self._env[replica.service],
            stdout=out,
            stderr=out,
        )

    async def _streams(self, timeout: float) -> None:
        """R3 streams, once the three nodes have elected a JetStream meta leader."""
        nc = await broker.connect(self.operator_nats_url, name="amparo-cluster")
        try:
            js = nc.jetstream(timeout=5)
            deadline = time.monotonic() + timeout
            while True:
                try:
                    await broker.ensure_streams(js, replicas=NODES)
                    return
                except Exception:
                    if time.monotonic() > deadline:
                        raise StartError("the NATS cluster did not accept R3 streams in time") from None
                    await asyncio.sleep(0.5)
        finally:
            await nc.close()

    def _write_state(self) -> None:
        first = {s: self.replicas_of(s)[0] for s in self.services}
        state = {
            "pid": os.getpid(),
            "cluster": True,
            "services": {s: {"pid": r.process.pid, "url": r.url} for s, r in first.items()},
            "replicas": {r.name: {"pid": r.process.pid, "url": r.url} for r in self.running},
            "nats_nodes": {n.name: {"pid": n.process.pid, "url": n.url} for n in self.nodes},
            "database_url": self.database_url,
            "nats_url": self.operator_nats_url,
        }
        write_secret(self.home / "run.json", json.dumps(state, indent=2))

    # --- faults and stop -----------------------------------------------------------------

    def kill_node(self, index: int) -> Node:
        node = self.nodes[index]
        node.process.send_signal(signal.SIGKILL)
        node.process.wait()
        return node

    def kill_replica(self, service: str, index: int = 1) -> Replica:
        replica = next(r for r in self.running if r.service == service and r.index == index)
        replica.process.send_signal(signal.SIGKILL)
        replica.process.wait()
        self.running.remove(replica)
        return replica

    def stop(self) -> None:
        for replica in self.running:
            if replica.process and replica.process.poll() is None:
                replica.process.send_signal(signal.SIGTERM)
        for replica in self.running:
            if replica.process:
                try:
                    replica.process.wait(20)
                except subprocess.TimeoutExpired:
                    replica.process.kill()
        for node in self.nodes:
            if node.process and node.process.poll() is None:
                node.process.terminate()
                try:
                    node.process.wait(10)
                except subprocess.TimeoutExpired:
                    node.process.kill()
        if self._pg is not None:
            self._pg.stop()
        (self.home / "run.json").unlink(missing_ok=True)


def run_cluster(home: Path) -> int:
    """`amparo run --cluster`: start, print the addresses, run until Ctrl-C."""
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    cluster = LocalCluster(home)
    try:
        print("starting PostgreSQL, three NATS nodes and two replicas of each service ...", flush=True)
        cluster.start()
        print("Amparo (cluster) is running:")
        for node in cluster.nodes:
            print(f"  {node.name:11} {node.url}")
        for replica in cluster.running:
            print(f"  {replica.name:11} {replica.url}")
        print("Stop: Ctrl-C", flush=True)
        while not stopping:
            time.sleep(0.5)
        return 0
    except StartError as exc:
        print(f"amparo: {exc}", flush=True)
        return 1
    finally:
        cluster.stop()
