"""Use case of a compromise: the shelter stops taking people, and every family in it gets
a relocation request (held elsewhere or waitlisted).

The ``ShelterCompromised`` event is built first and every event of the relocations names
it as their cause: risk's timeline must show the compromise before what it caused."""

from __future__ import annotations

import uuid

from services.shelters import events
from services.shelters.compromise import schemas, store
from services.shelters.placements.holds import open_request_tx, party_of, utcnow
from services.shelters.placements.lifecycle import cancel_tx
from services.shelters.placements.store import active_placement_for_case
from services.shelters.registry import store as registry_store
from services.shelters.registry.service import aad, cipher, locked_shelter
from shared.auth import Principal
from shared.db import retry_transaction
from shared.errors import Conflict
from shared.events import ShelterCompromised
from shared.logging import get_logger
from shared.outbox import enqueue

log = get_logger(__name__)


async def compromise(
    rt, principal: Principal, shelter_id: uuid.UUID, body: schemas.Compromise
) -> schemas.CompromiseResult:
    """Mark the shelter compromised (the reason stored encrypted), then for each family in
    it: mark its stay for relocation, cancel it if the family has not arrived, and request
    a relocation with the same level, party and exclusions."""

    async def work(conn) -> schemas.CompromiseResult:
        now = utcnow()
        shelter = await locked_shelter(conn, principal, shelter_id)
        if shelter["status"] == "compromised":
            raise Conflict("the shelter is already marked compromised", code="shelter.already_compromised")
        reason = cipher(rt).encrypt_obj(
            {"reason": body.reason, "by": principal.sub, "at": now.isoformat()},
            aad=aad(shelter_id, b"compromise"),
        )
        await registry_store.set_shelter_status(
            conn, shelter_id, "compromised", compromise_reason=reason, now=now
        )
        affected = await store.active_in_shelter(conn, shelter_id)
        compromised = events.new(
            ShelterCompromised(
                shelter_id=shelter_id,
                country=shelter["country"],
                region=shelter["region"],
                affected_case_ids=list(dict.fromkeys(p["case_id"] for p in affected)),
            ),
            case_id=None,
            causation=None,
        )
        await enqueue(conn, compromised)
        relocations: list[uuid.UUID] = []
        held = 0
        for p in affected:
            if p["needs_relocation"] and await active_placement_for_case(conn, p["case_id"]):
                # Already being relocated (compromised before, then reopened): its relocation
                # request is that active placement; a second one would be a duplicate.
                continue
            await store.mark_needs_relocation(conn, p["id"])
            if p["status"] in ("held", "confirmed"):
                # Nobody has arrived yet: the beds there are no use; the new request replaces it.
                await cancel_tx(conn, p, now, "shelter_compromised", compromised)
            new_id, match = await open_request_tx(
                conn,
                rt.config,
                case_id=p["case_id"],
                country=p["country"],
                region=p["region"],
                party=party_of(p),
                level=p["level"],
                excluded_regions=list(p["excluded_regions"]),
                stay_days=p["stay_days"],
                source="relocation",
                relocation_of=p["id"],
                causation=compromised,
            )
            relocations.append(new_id)
            held += match is not None
        return schemas.CompromiseResult(
            shelter_id=shelter_id,
            status="compromised",
            affected_placements=len(affected),
            relocations_held=held,
            relocations_waitlisted=len(relocations) - held,
            relocation_placement_ids=relocations,
        )

    result = await retry_transaction(rt.pool, work)
    log.warning(
        "shelter.compromised",
        shelter_id=str(shelter_id),
        affected=result.affected_placements,
        relocations_held=result.relocations_held,
    )
    return result
