"""HTTP route of the timeline: a thin handler over ``timeline.service``."""

from __future__ import annotations

from litestar import get

from services.risk.cases.api import CaseId
from services.risk.timeline import service
from services.risk.timeline.schemas import Timeline
from shared.auth import requires
from shared.http import Caller, Rt

# No personal data, but it names her shelter's code: staff who place families follow it
# (shelter coordinators hold network_staff's rights), the fund committee does not.
FOLLOWERS = requires("risk_analyst", "network_staff")


@get("/cases/{case_id:uuid}/timeline", operation_id="getTimeline", guards=[FOLLOWERS], tags=["timeline"])
async def get_timeline(rt: Rt, principal: Caller, case_id: CaseId) -> Timeline:
    """Every step of the case across risk, shelters and funds, in causal order (a step never
    before the one that caused it), with the time each took: where the case is now."""
    return await service.read(rt, principal, case_id)


ROUTES = [get_timeline]
