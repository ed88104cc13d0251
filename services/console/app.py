"""The console: the web application for people, built by the same bootstrap as the
services, with its own database (accounts, sessions) and no events of its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from litestar import Litestar, Request, Response, Router
from litestar.config.compression import CompressionConfig
from litestar.exceptions import HTTPException

from services.console import backend, handlers
from services.console.accounts import store
from services.console.accounts.api import ROUTES as SIGN_IN
from services.console.accounts.sessions import NotSignedIn, prepare
from services.console.config import ConsoleConfig
from services.console.messages import problem_text
from services.console.notifications.mail import MAIL_EVERY_SECONDS, mail_job
from services.console.pages.admin_accounts import ROUTES as ADMIN_ACCOUNTS
from services.console.pages.admin_audit import ROUTES as ADMIN_AUDIT
from services.console.pages.admin_deadletters import ROUTES as ADMIN_DEADLETTERS
from services.console.pages.admin_system import ROUTES as ADMIN_SYSTEM
from services.console.pages.assessments import ROUTES as ASSESSMENTS
from services.console.pages.board import ROUTES as BOARD
from services.console.pages.capacity import ROUTES as CAPACITY
from services.console.pages.cases import ROUTES as CASES
from services.console.pages.committee import ROUTES as COMMITTEE
from services.console.pages.consents import ROUTES as CONSENTS
from services.console.pages.funds_office import ROUTES as FUND_OFFICE
from services.console.pages.grants_report import ROUTES as GRANTS_REPORT
from services.console.pages.incidents import ROUTES as INCIDENTS
from services.console.pages.notifications import ROUTES as NOTIFICATIONS
from services.console.pages.people import ROUTES as PEOPLE
from services.console.pages.shelters import ROUTES as SHELTERS
from services.console.web import STATIC_ROUTER, TEMPLATES, page, see_other
from shared.bootstrap import Job, ServiceSpec, Subscription, build_app
from shared.config import Settings
from shared.errors import DomainError
from shared.logging import get_logger
from shared.problems import DOMAIN_STATUS

log = get_logger(__name__)


def _not_signed_in(_: Request, exc: NotSignedIn) -> Response:
    return see_other(exc.to)


def _refused(request: Request, exc: Exception) -> Response:
    """A refusal from a service or from the console itself, as a page in the person's language."""
    if isinstance(exc, backend.ServiceProblem):
        status, code = exc.status, exc.code
    else:
        assert isinstance(exc, DomainError)
        status = next((DOMAIN_STATUS[c] for c in type(exc).__mro__ if c in DOMAIN_STATUS), 400)
        code = exc.code
    if status == 401:
        return see_other("/sign-in")
    return page("error.html", request, message=problem_text(code, status), status_code=status)


def _http_error(request: Request, exc: HTTPException) -> Response:
    """Litestar's own refusals (a malformed parameter, a wrong method) as a page."""
    status = exc.status_code
    return page("error.html", request, message=problem_text(f"http.{status}", status), status_code=status)


def _crashed(request: Request, exc: Exception) -> Response:
    """Anything unexpected: logged with its request id, and a page (never a stack trace)."""
    log.error("console.unhandled_error", error=type(exc).__name__, path=request.url.path, exc_info=exc)
    return page("error.html", request, message=problem_text("console.crash", 500), status_code=500)


async def forget_stale_sessions(rt) -> None:
    """Sessions past their idle or maximum time are deleted (the check on use stays the rule)."""
    now = datetime.now(UTC)
    async with rt.pool.acquire() as conn:
        await store.delete_stale_sessions(
            conn,
            idle_cutoff=now - timedelta(minutes=rt.config.session_idle_minutes),
            created_cutoff=now - timedelta(hours=rt.config.session_max_hours),
        )


PAGES = Router(
    path="/",
    route_handlers=[
        *SIGN_IN,
        *NOTIFICATIONS,
        *CAPACITY,
        *BOARD,
        *SHELTERS,
        *PEOPLE,
        *CASES,
        *CONSENTS,
        *ASSESSMENTS,
        *INCIDENTS,
        *COMMITTEE,
        *FUND_OFFICE,
        *GRANTS_REPORT,
        *ADMIN_ACCOUNTS,
        *ADMIN_SYSTEM,
        *ADMIN_DEADLETTERS,
        *ADMIN_AUDIT,
    ],
    before_request=prepare,
    exception_handlers={
        NotSignedIn: _not_signed_in,
        backend.ServiceProblem: _refused,
        DomainError: _refused,
        HTTPException: _http_error,
        Exception: _crashed,
    },
    include_in_schema=False,
)

NOTICES_GATHER_SECONDS = 0.5

SPEC = ServiceSpec(
    name="console",
    description="The web console for network staff, coordinators and committees.",
    routes=[PAGES, STATIC_ROUTER],
    migrations=Path(__file__).parent / "migrations",
    # The notifications panel is fed by the services' events (read only: the console
    # publishes nothing).
    subscriptions=[
        # Notices are read in batches: nobody waits on them within a second.
        Subscription("RISK", handlers.RISK, gather_seconds=NOTICES_GATHER_SECONDS),
        Subscription("SHELTERS", handlers.SHELTERS, gather_seconds=NOTICES_GATHER_SECONDS),
        Subscription("FUNDS", handlers.FUNDS, gather_seconds=NOTICES_GATHER_SECONDS),
    ],
    jobs=[Job(600.0, forget_stale_sessions), Job(MAIL_EVERY_SECONDS, mail_job)],
    config=ConsoleConfig,
    bearer_auth=False,
    app_options={
        "template_config": TEMPLATES,
        "compression_config": CompressionConfig(backend="gzip", minimum_size=500, gzip_compress_level=6),
        "on_shutdown": [backend.close],
    },
)


def create_app(settings: Settings | None = None, config: ConsoleConfig | None = None) -> Litestar:
    return build_app(SPEC, settings, config)
