"""What funds does when her consent to share with the funds is revoked: her undecided
applications are withdrawn (nothing was committed, so nothing is released), each with an
ApplicationWithdrawn naming the revocation. Approved, paid or closed ones stay: a
decision taken and money owed are not undone by it (a fund administrator may close them).
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.funds.applications import store
from services.funds.events import emit
from shared.events import ApplicationWithdrawn, ConsentRevoked, Envelope
from shared.logging import get_logger

log = get_logger(__name__)


async def withdraw_for_revoked_consent(conn, event: Envelope[ConsentRevoked]) -> int:
    if event.case_id is None or event.data.purpose != "funds":
        return 0
    rows = await store.undecided_of_case(conn, event.case_id)
    now = datetime.now(UTC)
    for app in rows:
        await store.mark_closed(conn, app["id"], now, "consent_revoked")
        await emit(conn, ApplicationWithdrawn(application_id=app["id"]), app["case_id"], event)
        log.info("application.withdrawn", application_id=str(app["id"]))
    return len(rows)
