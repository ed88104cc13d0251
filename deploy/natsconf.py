"""The ``authorization`` block of nats.conf, for the embedded server and the cluster.

One user per service held to ``shared.broker.service_permissions`` (its own subjects, its
own dead letters, its own consumers, its own reply inbox) and an ``operator`` user with
no limits for the `amparo` commands. The embedded server gets the passwords themselves
(the file is 0600); the cluster file refers to environment variables
(``$NATS_RISK_PASSWORD``...), which nats-server reads at start."""

from __future__ import annotations

import json

from shared.broker import service_permissions
from shared.config import SERVICES

# The console reads the three streams for its notifications panel (its own durables only).
USERS = (*SERVICES, "console", "operator")


def _permissions(user: str) -> dict | None:
    return None if user == "operator" else service_permissions(user)


def authorization(passwords: dict[str, str] | None = None) -> str:
    """With ``passwords``: those, quoted. Without: ``$NATS_<USER>_PASSWORD`` references.
    Subjects are quoted so that ``$JS...`` is never read as a variable."""
    lines = ["authorization {", "  users: ["]
    for user in USERS:
        secret = json.dumps(passwords[user]) if passwords else f"$NATS_{user.upper()}_PASSWORD"
        lines.append(f"    {{ user: {user}, password: {secret}")
        permissions = _permissions(user)
        if permissions is not None:
            lines.append("      permissions: {")
            for direction in ("publish", "subscribe"):
                subjects = ", ".join(json.dumps(s) for s in permissions[direction]["allow"])
                lines.append(f"        {direction}: {{ allow: [{subjects}] }}")
            lines.append("      }")
        lines.append("    }")
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(authorization(), end="")
