"""The yardstick for availability_ratio: a bare Litestar handler doing one comparable
asyncpg query (the availability SQL itself) on the same shelters database, served by the
same server settings, with no auth and no logging."""

from __future__ import annotations

import os
import sys
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import asyncpg
import uvicorn
from litestar import Litestar, get

from services.shelters.capacity.store import AVAILABILITY_SQL

DSN = os.environ["BENCH_DSN"]
# The very SQL /availability runs: the ratio then measures what the service adds around
# it (auth, logging, validation, the fit rule, serialization), not a different query.
QUERY = AVAILABILITY_SQL
pool: asyncpg.Pool | None = None


@asynccontextmanager
async def lifespan(_app):
    global pool
    pool = await asyncpg.create_pool(DSN, min_size=2, max_size=10)
    yield
    await pool.close()


@get("/baseline", operation_id="baseline")
async def baseline(country: str = "MX") -> list[dict]:
    """One query, the same shape of work as /availability, nothing else."""
    start = datetime.now(UTC) + timedelta(days=1)
    rows = await pool.fetch(QUERY, start, start + timedelta(days=7), [country], None)
    return [{"shelter_id": str(r["id"]), "country": r["country"], "free": r["free"]} for r in rows]


app = Litestar([baseline], lifespan=[lifespan])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
