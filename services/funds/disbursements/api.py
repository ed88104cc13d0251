"""Routes of disbursements: paying a tranche of an approved grant."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Response, get, post
from litestar.params import FromPath, HeaderParameter, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from services.funds.disbursements import service
from services.funds.disbursements.schemas import DisbursementCreate, DisbursementView, TrancheView
from shared.auth import requires
from shared.http import Caller, Rt
from shared.pagination import Limit, Offset, Page

ADMINS = requires("fund_admin")
MAX_KEY_LENGTH = 200


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
            str,
            HeaderParameter(
                name="Idempotency-Key",
                required=True,
                min_length=1,
                max_length=MAX_KEY_LENGTH,
                description="a new key per tranche (e.g. a UUID), the same key when retrying it",
            ),
        ],
    ) -> Response[DisbursementView]:
        """Pay one tranche of an approved grant (an emergency approval may be paid before it is
        ratified). 201 when paid now; 200 with the same body and `Idempotent-Replayed: true`
        when this key already paid it."""
        view, created = await service.disburse(rt, principal, application_id, data, idempotency_key=key)
        return Response(
            view,
            status_code=HTTP_201_CREATED if created else HTTP_200_OK,
            headers={} if created else {"Idempotent-Replayed": "true"},
        )

    @get("/disbursements", operation_id="listTranches", guards=[ADMINS])
    async def tranches(
        self,
        rt: Rt,
        principal: Caller,
        application_id: FromPath[uuid.UUID],
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Page[TrancheView]:
        """The tranches paid on an application, first to last, each payee reference masked
        to its last four characters."""
        return await service.tranches(rt, principal, application_id, limit, offset)
