"""`python -m bench.pipeline_alone [runs]`: pipeline_ratio alone, on its own durable
PostgreSQL and nats-server (as `make bench` has them), repeated: the raw and the
pipeline rate of each run are measured back to back, so their ratio is what to compare
on a shared machine. Prints the 1-minute load average with each run."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench.pipeline import measure, run
from deploy.embedded import free_port, start_nats, start_postgres


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    n = int(os.environ.get("BENCH_PIPELINE_EVENTS", "20000"))
    home = Path(tempfile.mkdtemp(prefix="amparo-pipeline-"))
    pg = start_postgres(home / "pg", durable=True)
    nats = start_nats(home / "nats", port=free_port(), sync_always=True)
    try:
        for i in range(runs):
            before = os.getloadavg()[0]
            result = run(measure(pg.url, nats.url, n=n))
            print(f"run {i + 1}: {result} load {before:.1f} -> {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        nats.stop()
        pg.stop()
        shutil.rmtree(home, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
