"""The console's own settings (``AMPARO_<FIELD>`` variables)."""

from __future__ import annotations

from typing import Annotated

import msgspec


class ConsoleConfig(msgspec.Struct, kw_only=True, frozen=True):
    # Where the three services answer; the console reads and writes only through them.
    risk_url: str = "http://127.0.0.1:8001"
    shelters_url: str = "http://127.0.0.1:8002"
    funds_url: str = "http://127.0.0.1:8003"
    # The token signing key (Ed25519 private, PEM file): the console signs a short token
    # for the signed-in person on every call to a service.
    jwt_private_key_file: str = ""
    jwt_private_key: str = ""
    # How long a token the console signs lives (it is made per call and thrown away).
    service_token_seconds: Annotated[int, msgspec.Meta(ge=10, le=3600)] = 120
    # A session unused this long is over; a session never lives longer than the maximum.
    session_idle_minutes: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    session_max_hours: Annotated[float, msgspec.Meta(gt=0)] = 12.0
    # Cookies carry Secure when the console is served over TLS (behind a proxy: set true).
    secure_cookies: bool = False
    # Failed sign-ins before the account is locked; the lock doubles each time after.
    lockout_after: Annotated[int, msgspec.Meta(ge=1)] = 5
    lockout_base_seconds: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    lockout_max_seconds: Annotated[float, msgspec.Meta(gt=0)] = 3600.0
    # How often the placements board asks for news (htmx polling).
    board_refresh_seconds: Annotated[int, msgspec.Meta(ge=1, le=300)] = 5
    # Optional e-mail of the notifications (services/console/notifications/mail.py):
    # without a host, nothing is mailed and the panel is the only place they show.
    smtp_host: str = ""
    smtp_port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 25
    smtp_starttls: bool = False
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "amparo@localhost"
    # The console's address as people reach it, for links in mails.
    public_url: str = "http://127.0.0.1:8000"
