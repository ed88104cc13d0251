"""Server-side sessions, CSRF and the language of each request.

The session cookie holds only a random id; the table keeps its SHA-256, the stage
(password passed / fully signed in), the CSRF token and when it was last used. Every form
carries the CSRF token: the session's, or before sign-in a double-submit cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.datastructures import Cookie

from services.console import i18n
from services.console.accounts import store
from services.console.accounts.schemas import Account
from shared.errors import NotAllowed

SESSION_COOKIE = "amparo_session"
CSRF_COOKIE = "amparo_csrf"
LANGUAGE_COOKIE = "amparo_lang"


class Session(msgspec.Struct, frozen=True):
    id_hash: bytes
    account: Account
    stage: str
    csrf: str


class NotSignedIn(Exception):
    """No session, or not far enough in the sign-in for this page (redirects to sign-in)."""

    def __init__(self, to: str = "/sign-in") -> None:
        super().__init__(to)
        self.to = to


class BadCsrf(NotAllowed):
    """A form without the right CSRF token."""


def _hash(raw: str) -> bytes:
    return hashlib.sha256(raw.encode()).digest()


def _rt(request: Request):
    return request.app.state.runtime


async def prepare(request: Request) -> None:
    """Before every page: find the session and set the request's language."""
    rt = _rt(request)
    session = None
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        now = datetime.now(UTC)
        async with rt.pool.acquire() as conn:
            row = await store.touch_session(
                conn,
                _hash(raw),
                idle_cutoff=now - timedelta(minutes=rt.config.session_idle_minutes),
                created_cutoff=now - timedelta(hours=rt.config.session_max_hours),
            )
            account = await store.by_id(conn, row["account_id"]) if row else None
        if row and account and not account.disabled:
            session = Session(_hash(raw), account, row["stage"], row["csrf_token"])
    request.state.session = session
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if session is not None:
        chosen = session.account.language
    i18n.current.set(i18n.pick(chosen))
    request.state.csrf = (
        session.csrf if session else request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    )


def session_of(request: Request, stage: str = "signed_in") -> Session:
    session: Session | None = request.state.session
    if session is None:
        raise NotSignedIn()
    if stage == "signed_in" and session.stage != "signed_in":
        raise NotSignedIn("/sign-in/next")
    return session


def person(request: Request) -> Account:
    return session_of(request).account


def require_role(request: Request, *roles: str) -> Account:
    account = person(request)
    if not account.has_role(*roles):
        raise NotAllowed("this page needs another role", code="console.role")
    return account


async def read_form(request: Request) -> dict[str, str]:
    """The posted form, after checking its CSRF token (constant-time)."""
    form = await request.form()
    sent = str(form.get("csrf", ""))
    if not sent or not hmac.compare_digest(sent, request.state.csrf):
        raise BadCsrf("the form is out of date; reload the page and try again", code="console.csrf")
    return {k: str(v) for k, v in form.items() if k != "csrf"}


async def read_form_lists(request: Request) -> dict[str, list[str]]:
    await read_form(request)
    form = await request.form()
    return {k: [str(v) for v in form.getall(k)] for k in form if k != "csrf"}


def cookie(request: Request, key: str, value: str, *, max_age: int | None = None) -> Cookie:
    secure = bool(_rt(request).config.secure_cookies) or request.url.scheme == "https"
    return Cookie(
        key=key, value=value, httponly=True, secure=secure, samesite="strict", path="/", max_age=max_age,
    )  # fmt: skip


async def begin(request: Request, response: Response, account: Account, stage: str) -> None:
    """A new session (a new id at every step: a session id seen before sign-in is worthless)."""
    rt = _rt(request)
    raw = secrets.token_urlsafe(32)
    async with rt.pool.acquire() as conn, conn.transaction():
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            await store.delete_session(conn, _hash(old))
        await store.insert_session(
            conn, id_hash=_hash(raw), account_id=account.id, stage=stage, csrf_token=secrets.token_urlsafe(24)
        )
    response.set_cookie(cookie(request, SESSION_COOKIE, raw))


async def end(request: Request, response: Response) -> None:
    raw = request.cookies.get(SESSION_COOKIE)
    if raw:
        async with _rt(request).pool.acquire() as conn:
            await store.delete_session(conn, _hash(raw))
    response.delete_cookie(SESSION_COOKIE, path="/")


def view_of(request: Request) -> dict[str, Any]:
    """What every template may use: who is signed in, the CSRF token, the language."""
    session: Session | None = getattr(request.state, "session", None)
    me = session.account if session and session.stage == "signed_in" else None
    return {
        "me": me,
        "csrf": request.state.csrf,
        "lang": i18n.current.get(),
        "other_lang": "en" if i18n.current.get() == "es" else "es",
        "path": request.url.path,
        "htmx": request.headers.get("hx-request") == "true",
        # A new Idempotency-Key for each form that creates something or moves money: a
        # double click or a resent form sends the same key, so the service acts once.
        "form_key": lambda: str(uuid.uuid4()),
    }


def page_cookies(request: Request) -> list[Cookie]:
    """Anonymous pages set the double-submit CSRF cookie their forms carry."""
    if (
        getattr(request.state, "session", None) is None
        and request.cookies.get(CSRF_COOKIE) != request.state.csrf
    ):
        return [cookie(request, CSRF_COOKIE, request.state.csrf)]
    return []
