"""Sign-in pages: password, first-time password change, TOTP enrolment and code, sign-out,
and the language switch (which also works before sign-in)."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.response import Redirect

from services.console import i18n
from services.console.accounts import service, sessions, store
from services.console.accounts.sessions import LANGUAGE_COOKIE, begin, read_form, session_of
from services.console.messages import done_text, problem_text
from services.console.web import page, see_other
from shared.errors import DomainError

OPTS = {"include_in_schema": False}


def _refused(name: str, request: Request, exc: DomainError, status: int, **context):
    return page(name, request, error=problem_text(exc.code, status), status_code=status, **context)


@get("/sign-in", **OPTS)
async def sign_in_form(request: Request) -> Response:
    return page("sign_in.html", request, error=None, email="")


@post("/sign-in", **OPTS)
async def sign_in(request: Request) -> Response:
    form = await read_form(request)
    rt = request.app.state.runtime
    try:
        account = await service.check_password(
            rt.pool, rt.config, form.get("email", ""), form.get("password", "")
        )
    except DomainError as exc:
        return _refused("sign_in.html", request, exc, 401, email=form.get("email", ""))
    stage = "password" if account.must_change_password or account.needs_second_factor else "signed_in"
    response = see_other("/sign-in/next")
    await begin(request, response, account, stage)
    return response


@get("/sign-in/next", **OPTS)
async def next_step(request: Request) -> Response:
    """Where a half-signed-in person goes next: new password, enrolment, code, or in."""
    session = session_of(request, stage="password")
    account = session.account
    if session.stage == "signed_in":
        return see_other("/")
    if account.must_change_password:
        return see_other("/password")
    if account.needs_second_factor:
        return see_other("/sign-in/code" if account.totp_enrolled else "/sign-in/enrol")
    response = see_other("/")
    await begin(request, response, account, "signed_in")
    return response


@get("/password", **OPTS)
async def password_form(request: Request) -> Response:
    session_of(request, stage="password")
    return page("password.html", request, error=None)


@post("/password", **OPTS)
async def change_password(request: Request) -> Response:
    session = session_of(request, stage="password")
    form = await read_form(request)
    rt = request.app.state.runtime
    if form.get("password") != form.get("repeat"):
        return page("password.html", request, error=problem_text("password.mismatch", 400), status_code=400)
    try:
        await service.change_password(rt.pool, session.account, form.get("password", ""))
    except DomainError as exc:
        return _refused("password.html", request, exc, 400)
    return see_other("/sign-in/next" if session.stage != "signed_in" else "/?done=password")


@get("/sign-in/enrol", **OPTS)
async def enrol_form(request: Request) -> Response:
    session = session_of(request, stage="password")
    if session.account.totp_enrolled:
        return see_other("/sign-in/code")
    secret = await service.start_enrolment(request.app.state.runtime.pool, session.account)
    qr = service.enrolment_qr(session.account, secret)
    return page("enrol.html", request, error=None, secret=secret, qr=qr)


@get("/sign-in/code", **OPTS)
async def code_form(request: Request) -> Response:
    session_of(request, stage="password")
    return page("code.html", request, error=None)


@post("/sign-in/code", **OPTS)
async def check_code(request: Request) -> Response:
    """A TOTP code (enrolment or sign-in): right, and the person is in."""
    session = session_of(request, stage="password")
    if session.account.must_change_password:
        return see_other("/password")
    form = await read_form(request)
    rt = request.app.state.runtime
    try:
        account = await service.check_code(rt.pool, rt.config, session.account.id, form.get("code", ""))
    except DomainError as exc:
        if session.account.totp_enrolled:
            return _refused("code.html", request, exc, 401)
        secret = session.account.totp_secret or ""
        qr = service.enrolment_qr(session.account, secret)
        return _refused("enrol.html", request, exc, 401, secret=secret, qr=qr)
    response = see_other("/")
    await begin(request, response, account, "signed_in")
    return response


@post("/sign-out", **OPTS)
async def sign_out(request: Request) -> Response:
    await read_form(request)
    response = see_other("/sign-in")
    await sessions.end(request, response)
    return response


@post("/language", **OPTS)
async def switch_language(request: Request) -> Redirect:
    """Spanish or English, remembered in a cookie and, when signed in, in the account."""
    form = await read_form(request)
    language = i18n.pick(form.get("language"))
    back = form.get("next", "/")
    if not back.startswith("/") or back.startswith("//"):
        back = "/"  # only our own pages: never an open redirect
    session = request.state.session
    if session is not None:
        async with request.app.state.runtime.pool.acquire() as conn:
            await store.update(conn, session.account.id, language=language)
    response = see_other(back)
    response.set_cookie(sessions.cookie(request, LANGUAGE_COOKIE, language, max_age=365 * 86400))
    return response


def flash(request: Request) -> str | None:
    return done_text(request.query_params.get("done"))


ROUTES = [
    sign_in_form, sign_in, next_step, password_form, change_password, enrol_form, code_form, check_code,
    sign_out, switch_language,
]  # fmt: skip
