"""Use cases of the name search: index a case's name (at intake, and by the backfill job
after any change of her personal data), find cases by name, and the key check at start."""

from __future__ import annotations

from services.risk.cases.schemas import CaseSummary, PersonalData
from services.risk.cases.service import cipher_of, summary_of
from services.risk.search import store
from services.risk.search.index import IndexKeyError, blind_index
from shared.auth import Principal
from shared.errors import Invalid
from shared.logging import get_logger
from shared.pagination import Page
from shared.runtime import Runtime

log = get_logger(__name__)
SEARCHED = "case.search"
BATCH = 200


async def refuse_without_key(app) -> None:
    """At start: no blind index key, no service (an unkeyed index would be a list of names)."""
    rt = app.state.runtime
    try:
        blind_index(rt)
    except IndexKeyError as exc:
        raise rt.refuse(str(exc)) from None


async def backfill(rt: Runtime) -> None:
    """Index every case without tokens under the current key: cases from before the index,
    cases whose personal data changed (the trigger forgot their tokens), and every case
    after a new key. Blocked and erased personal data is indexed as no tokens."""
    index = blind_index(rt)
    cipher = cipher_of(rt)
    done = 0
    while True:
        async with rt.pool.acquire() as conn, conn.transaction():
            rows = await store.unindexed(conn, index.key_id, BATCH)
            for row in rows:
                name = ""  # blocked or erased by retention: not findable by name
                if row["personal"] is not None and row["personal_data"] == "active":
                    name = cipher.decrypt_obj(row["personal"], PersonalData, aad=row["id"].bytes).full_name
                await store.replace_tokens(conn, row["id"], index.token_hmacs(name), index.key_id)
        done += len(rows)
        if len(rows) < BATCH:
            break
    if done:
        log.info("name_index.backfilled", cases=done)


async def search(
    rt: Runtime, principal: Principal, *, name: str, country: str | None, limit: int, offset: int
) -> Page[CaseSummary]:
    """Cases in the caller's countries whose name holds every token of ``name``. The search
    is audited (who, when, how many found), never what was searched for."""
    countries = principal.visible_countries(country)
    hmacs = blind_index(rt).token_hmacs(name)
    if not hmacs:
        raise Invalid("the name has no letters to search for", code="search.no_letters")
    async with rt.pool.acquire() as conn, conn.transaction():
        rows, total = await store.search(
            conn, token_hmacs=hmacs, countries=countries, limit=limit, offset=offset
        )
        await store.audit_search(conn, actor=principal.sub, action=SEARCHED, result_count=total)
    log.info("case.searched", results=total)
    return Page(items=[summary_of(r) for r in rows], total=total, limit=limit, offset=offset)
