"""A person who signs in to the console."""

from __future__ import annotations

from datetime import datetime

import msgspec

# Roles that read personal data or move money: their accounts need a second factor.
SECOND_FACTOR_ROLES = frozenset({"risk_analyst", "shelter_coordinator", "fund_admin", "admin"})


class Account(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    email: str
    name: str
    roles: list[str]
    countries: list[str]
    language: str
    password_hash: str
    must_change_password: bool
    totp_secret: str | None
    totp_enrolled: bool
    totp_last_step: int
    disabled: bool
    failed_attempts: int
    locked_until: datetime | None
    created_at: datetime
    last_sign_in_at: datetime | None

    @property
    def needs_second_factor(self) -> bool:
        return bool(SECOND_FACTOR_ROLES.intersection(self.roles))

    def has_role(self, *roles: str) -> bool:
        held = set(self.roles)
        if "admin" in held:
            return True
        if "shelter_coordinator" in held:
            held.add("network_staff")
        return bool(held.intersection(roles))
