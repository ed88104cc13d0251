"""Settings from environment variables, decoded and validated with msgspec.

Every setting is an ``AMPARO_*`` variable; a bad value stops the process at start with
one line that names the variable, instead of failing later in a request.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlsplit, urlunsplit

import msgspec

ServiceName = Literal["risk", "shelters", "funds"]
SERVICES: tuple[ServiceName, ...] = ("risk", "shelters", "funds")
DEFAULT_PORTS: dict[str, int] = {"risk": 8001, "shelters": 8002, "funds": 8003, "console": 8000}

Port = Annotated[int, msgspec.Meta(ge=1, le=65535)]
Positive = Annotated[float, msgspec.Meta(gt=0)]


class ConfigError(Exception):
    """A setting is missing or malformed; the message names it."""


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    # PostgreSQL server URL; each service uses its own database on it (amparo_<service>).
    database_url: str = ""
    # Overrides the database name (tests give every test a fresh one).
    database_name: str = ""
    # A role that may create databases and roles, for `amparo migrate` and `amparo keys`;
    # the services themselves connect with AMPARO_DATABASE_URL as their own role.
    database_admin_url: str = ""
    nats_url: str = "nats://127.0.0.1:4222"
    # The service's own NATS user (the server checks what it may publish and consume);
    # or a .creds file (nkey/JWT deployments). None set: connect without credentials.
    nats_user: str = ""
    nats_password: str = ""
    nats_creds_file: str = ""
    # CA that signed the NATS servers' certificates (tls:// URLs of a cluster).
    nats_tls_ca_file: str = ""
    # Ed25519 public key (PEM, inline or a file) the services verify tokens with; the
    # private half stays with the console and `amparo token`.
    jwt_public_key: str = ""
    jwt_public_key_file: str = ""
    jwt_issuer: str = "amparo"
    # PII keys: "kid:base64key[,kid:base64key...]"; the first is used to encrypt.
    pii_keys: str = ""
    pii_key_file: str = ""
    host: str = "127.0.0.1"
    port: Port = 0
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_json: bool = True
    db_pool_min: Annotated[int, msgspec.Meta(ge=1)] = 2
    # Each connection is a PostgreSQL backend of about 6 MB. Six per process keep two cores
    # busy (more only queue inside PostgreSQL) and the stack's memory in bounds (README,
    # Benchmark); raise AMPARO_DB_POOL_MAX with the cores.
    db_pool_max: Annotated[int, msgspec.Meta(ge=1)] = 6
    db_command_timeout: Positive = 30.0
    # Outbox relay: how often it looks for rows its own process did not wake it for
    # (written by hand, or by a process that died before handing its connection back).
    outbox_poll_seconds: Positive = 1.0
    # Sent outbox rows are kept this long, so `amparo replay` can re-publish them after a
    # stream is lost; then the relay purges them.
    outbox_retention_days: Annotated[int, msgspec.Meta(ge=1)] = 30
    # Consumers: how long JetStream waits for an ack before redelivering.
    consumer_ack_wait_seconds: Positive = 10.0
    consumer_max_deliver: Annotated[int, msgspec.Meta(ge=1)] = 5
    # JetStream replicas per stream: 1 on one machine, 3 on a NATS cluster.
    stream_replicas: Annotated[int, msgspec.Meta(ge=1, le=5)] = 1
    # Domain settings (hold hours, decision hours, ...) belong to the service that owns
    # them: each declares its own Struct and reads it with ``load_config``.

    def dsn(self, service: str) -> str:
        """The DSN of one service's own database."""
        if not self.database_url:
            raise ConfigError("AMPARO_DATABASE_URL is not set")
        return with_database(self.database_url, self.database_name or f"amparo_{service}")


def with_database(url: str, database: str) -> str:
    """Return ``url`` pointing at ``database`` (keeps host, socket and query)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, parts.fragment))


S = TypeVar("S", bound=msgspec.Struct)


def load_config(cls: type[S], environ: Mapping[str, str] | None = None, **overrides: object) -> S:
    """Read the ``AMPARO_<FIELD>`` variable of every field of ``cls``; ``overrides`` win.

    A bad value is one ``ConfigError`` line that names the variable the operator must fix.
    """
    env = os.environ if environ is None else environ
    raw: dict[str, object] = {}
    for f in msgspec.structs.fields(cls):
        value = env.get(f"AMPARO_{f.name.upper()}")
        if value is not None and value != "":
            raw[f.name] = value
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return msgspec.convert(raw, cls, strict=False)
    except msgspec.ValidationError as exc:
        # msgspec says "... - at `$.port`"; name the variable the operator must fix.
        message = str(exc)
        if "`$." in message:
            field = message.rsplit("`$.", 1)[1].rstrip("`")
            message = f"AMPARO_{field.upper()}: {message.rsplit(' - at', 1)[0]}"
        raise ConfigError(f"invalid configuration: {message}") from None


def load_settings(environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
    """The shared settings (``AMPARO_*``); ``overrides`` win (used by the runner and tests)."""
    return load_config(Settings, environ, **overrides)
