"""Routes of disbursements: paying a tranche of an approved grant."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, post
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from services.funds.disbursements import service
from services.funds.disbursements.schemas import DisbursementCreate, DisbursementView
from shared.auth import requires
from shared.errors import BadInput
from shared.http import Caller, Rt

ADMINS = requires("fund_admin")
MAX_KEY_LENGTH = 200


def idempotency_key(raw: str | None) -> str:
    """The Idempotency-Key header as the use case takes it: present, printable, bounded."""
    key = (raw or "").strip()
    if not key:
        raise BadInput(
            "the Idempotency-Key header is required: send a new random key (e.g. a UUID) for each tranche, "
            "and the same key when you retry it",
            code="disbursement.idempotency_key_missing",
        )
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise BadInput(
            f"the Idempotency-Key header must be 1-{MAX_KEY_LENGTH} printable characters",
            code="disbursement.idempotency_key_invalid",
        )
    return key


class DisbursementsController(Controller):
    path = "/applications/{application_id:uuid}"
    tags = ["disbursements"]

    @post("/disbursements", operation_id="disburseTranche", guards=[ADMINS])
    async def disburse(
        self,
        rt: Rt,
        principal: Caller,
        application_id: FromPath[uuid.UUID],
        data: JSONBody[DisbursementCreate],
        key: Annotated[
            str | None,
            HeaderParameter(
                name="Idempotency-Key",
                description="required: a new key per tranche, the same key when retrying it",
            ),
        ] = None,
    ) -> Response[DisbursementView]:
        """Pay one tranche of an approved grant (an emergency approval may be paid before it is
        ratified). 201 when paid now; 200 with the same body and `Idempotent-Replayed: true`
        when this key already paid it."""
        view, created = await service.disburse(
            rt, principal, application_id, data, idempotency_key=idempotency_key(key)
        )
        return Response(
            view,
            status_code=HTTP_201_CREATED if created else HTTP_200_OK,
            headers={} if created else {"Idempotent-Replayed": "true"},
        )
