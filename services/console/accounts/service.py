"""Accounts: create, sign in (password, lockout, second factor), enrol TOTP, disable."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime, timedelta

import asyncpg
import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.console.accounts import store
from services.console.accounts.schemas import Account
from services.console.config import ConsoleConfig
from shared.auth import ROLES
from shared.errors import BadInput, Conflict, NotAllowed

HASHER = PasswordHasher()
# Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = HASHER.hash(secrets.token_urlsafe(16))
COUNTRIES = ("MX", "GT", "SV", "HN", "NI", "CR")
MIN_PASSWORD = 12


class SignInRefused(NotAllowed):
    """Wrong email or password, or a locked account: one message for all (no oracle)."""


def new_password() -> str:
    return secrets.token_urlsafe(12)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"a password needs at least {MIN_PASSWORD} characters", code="password.too_short")


async def create_account(
    pool: asyncpg.Pool,
    *,
    email: str,
    name: str,
    roles: list[str],
    countries: list[str],
    language: str = "es",
    password: str | None = None,
) -> tuple[Account, str]:
    """A new account and its one-time password (to be changed at first sign-in)."""
    email = email.strip()
    if "@" not in email or len(email) > 254:
        raise BadInput("email must be an email address", code="account.email")
    roles, countries = check_access(roles, countries)
    password = password or new_password()
    async with pool.acquire() as conn:
        try:
            account = await store.insert_account(
                conn,
                email=email,
                name=name.strip() or email,
                roles=roles,
                countries=countries,
                language=language,
                password_hash=HASHER.hash(password),
            )
        except asyncpg.UniqueViolationError:
            raise Conflict("an account with this email exists", code="account.email_taken") from None
    return account, password


def check_access(roles: list[str], countries: list[str]) -> tuple[list[str], list[str]]:
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise BadInput(f"roles must be among: {', '.join(ROLES)}", code="account.roles")
    countries = [c.upper() for c in countries]
    if any(c not in COUNTRIES for c in countries):
        raise BadInput(f"countries must be among: {', '.join(COUNTRIES)}", code="account.countries")
    return list(dict.fromkeys(roles)), list(dict.fromkeys(countries))


async def set_access(pool: asyncpg.Pool, email: str, roles: list[str], countries: list[str]) -> Account:
    """New roles and countries; the next call to a service already carries them (tokens are
    signed per call). A role that now needs a second factor asks for enrolment at the next
    sign-in."""
    roles, countries = check_access(roles, countries)
    async with pool.acquire() as conn, conn.transaction():
        account = await _existing(conn, email)
        await store.update(conn, account.id, roles=roles, countries=countries)
        return account


def _lock_seconds(config: ConsoleConfig, failures: int) -> float:
    """Back-off: locked after ``lockout_after`` failures, twice as long at each further one."""
    if failures < config.lockout_after:
        return 0.0
    return min(
        config.lockout_base_seconds * 2 ** (failures - config.lockout_after), config.lockout_max_seconds
    )


async def check_password(pool: asyncpg.Pool, config: ConsoleConfig, email: str, password: str) -> Account:
    """The account when the password is right and the account usable; else ``SignInRefused``."""
    async with pool.acquire() as conn, conn.transaction():
        account = await store.by_email(conn, email.strip(), lock=True)
        if account is None:
            _verify(_DUMMY_HASH, password)
            raise SignInRefused("wrong email or password", code="signin.refused")
        # A failure is counted in a committed transaction, then refused (raising inside the
        # transaction would roll the count back).
        refusal = await _locked(account) or (
            None if _verify(account.password_hash, password) and not account.disabled else
            await _failed(conn, config, account, "wrong email or password", "signin.refused")
        )  # fmt: skip
        if refusal is None:
            await store.update(conn, account.id, failed_attempts=0, locked_until=None)
    if refusal is not None:
        raise refusal
    return account


async def _locked(account: Account) -> SignInRefused | None:
    now = datetime.now(UTC)
    if account.locked_until is not None and account.locked_until > now:
        wait = int((account.locked_until - now).total_seconds()) + 1
        return SignInRefused("too many failed attempts", code="signin.locked", extra={"retry_after": wait})
    return None


async def _failed(conn, config: ConsoleConfig, account: Account, detail: str, code: str) -> SignInRefused:
    failures = account.failed_attempts + 1
    lock = _lock_seconds(config, failures)
    locked_until = datetime.now(UTC) + timedelta(seconds=lock) if lock else None
    await store.update(conn, account.id, failed_attempts=failures, locked_until=locked_until)
    return SignInRefused(detail, code=code)


def _verify(hashed: str, password: str) -> bool:
    try:
        return HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


async def change_password(pool: asyncpg.Pool, account: Account, password: str) -> None:
    check_password_rules(password)
    if _verify(account.password_hash, password):
        raise BadInput("choose a password different from the one given to you", code="password.same")
    async with pool.acquire() as conn:
        await store.update(conn, account.id, password_hash=HASHER.hash(password), must_change_password=False)


async def start_enrolment(pool: asyncpg.Pool, account: Account) -> str:
    """The TOTP secret to enrol (kept until a code proves the phone has it)."""
    if account.totp_secret and not account.totp_enrolled:
        return account.totp_secret
    secret = pyotp.random_base32()
    async with pool.acquire() as conn:
        await store.update(conn, account.id, totp_secret=secret, totp_enrolled=False)
    return secret


def enrolment_qr(account: Account, secret: str) -> str:
    """The enrolment QR code as inline SVG (no image request, no third party)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name="Amparo")
    return segno.make(uri, error="m").svg_inline(scale=4, dark="#000", light="#fff", title="QR")


async def check_code(pool: asyncpg.Pool, config: ConsoleConfig, account_id: str, code: str) -> Account:
    """A TOTP code, each accepted once; failures count towards the same lockout."""
    async with pool.acquire() as conn, conn.transaction():
        account = await store.by_id(conn, account_id, lock=True)
        if account is None or account.disabled or not account.totp_secret:
            raise SignInRefused("wrong code", code="signin.code")
        refusal = await _locked(account)
        step = _matching_step(account.totp_secret, code.strip().replace(" ", ""))
        if refusal is None and (step is None or step <= account.totp_last_step):
            refusal = await _failed(conn, config, account, "wrong code", "signin.code")
        if refusal is None:
            await store.update(
                conn, account.id, totp_last_step=step, totp_enrolled=True, failed_attempts=0,
                locked_until=None, last_sign_in_at=datetime.now(UTC),
            )  # fmt: skip
    if refusal is not None:
        raise refusal
    return account


def _matching_step(secret: str, code: str) -> int | None:
    """The time step the code belongs to (now, or one step either side for clock drift)."""
    totp = pyotp.TOTP(secret)
    now_step = int(time.time()) // totp.interval
    for step in (now_step, now_step - 1, now_step + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def set_disabled(pool: asyncpg.Pool, email: str, disabled: bool) -> Account:
    async with pool.acquire() as conn, conn.transaction():
        account = await _existing(conn, email)
        await store.update(conn, account.id, disabled=disabled)
        if disabled:
            await store.delete_sessions_of(conn, account.id)
        return account


async def reset_second_factor(pool: asyncpg.Pool, email: str) -> Account:
    async with pool.acquire() as conn, conn.transaction():
        account = await _existing(conn, email)
        await store.update(conn, account.id, totp_secret=None, totp_enrolled=False, totp_last_step=0)
        await store.delete_sessions_of(conn, account.id)
        return account


async def set_language(pool: asyncpg.Pool, account_id: str, language: str) -> None:
    async with pool.acquire() as conn:
        await store.update(conn, account_id, language=language)


async def _existing(conn, email: str) -> Account:
    account = await store.by_email(conn, email, lock=True)
    if account is None:
        from shared.errors import NotFound

        raise NotFound("no account has this email", code="account.not_found")
    return account
