"""HTTP load with wrk (Debian's package; installed on demand by `make bench`)."""

from __future__ import annotations

import re
import shutil
import subprocess

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def have_wrk() -> bool:
    return shutil.which("wrk") is not None


def wrk(
    url: str, *, token: str | None = None, seconds: int = 10, connections: int = 32, threads: int = 1
) -> dict:
    """Requests/s and latency percentiles (ms) of GET ``url``."""
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if token:
        args[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    percentiles = {}
    for pct, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        percentiles[f"p{pct}_ms"] = round(float(value) * _UNITS[unit], 2)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": round(rps, 1),
        **percentiles,
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": errors.group(0) if errors else "",
    }
