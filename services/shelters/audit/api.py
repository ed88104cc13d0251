"""HTTP route of the audit log: thin, over ``audit.service``."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import get
from litestar.params import QueryParameter

from services.shelters.audit import service
from services.shelters.audit.schemas import AuditEntry
from shared.audit_log import ActorQ, SinceQ, UntilQ, moment
from shared.auth import requires
from shared.http import Rt
from shared.pagination import Limit, Offset, Page
from shared.validation import END


@get("/audit", operation_id="listAudit", guards=[requires("admin")], tags=["audit"])
async def audit(
    rt: Rt,
    object_id: Annotated[uuid.UUID | None, QueryParameter(description="one shelter's reads (its id)")] = None,
    actor: ActorQ = None,
    action: Annotated[
        str | None,
        QueryParameter(
            max_length=100, pattern=r"^[a-z_.]+" + END, description="what was done, e.g. shelter.address.read"
        ),
    ] = None,
    since: SinceQ = None,
    until: UntilQ = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[AuditEntry]:
    """Who was shown which shelter's address and contact, and when (newest first), by
    actor, action, shelter and time."""
    return await service.audit_log(
        rt,
        object_id=object_id,
        actor=actor,
        action=action,
        since=moment(since, "since"),
        until=moment(until, "until"),
        limit=limit,
        offset=offset,
    )


ROUTES = [audit]
