"""`make bench`: bring up the stack, measure, write bench/results.json and bench/results.md.

A benchmark, not a test: it reports where we stand and never fails CI. Targets (2 cores):
availability_ratio >= 0.6, history_growth >= 0.9, flow_p99_ms <= 150,
flow_capacity_cases_s >= 100, pipeline_ratio >= 0.7, recovery_s <= 15, stack_rss_mb <= 400
(with the console), console pages' p95 <= 100 ms with 200 shelters, a first visit to the
capacity page <= 60 KB.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil

from bench import capacity, load, recovery, seed
from bench import console as console_bench
from bench.flow import run_flow
from bench.pipeline import measure as measure_pipeline
from bench.pipeline import run as run_on_uvloop
from deploy.embedded import free_port, start_nats
from deploy.stack import Stack
from shared.config import with_database

HERE = Path(__file__).parent
TARGETS = {
    "availability_ratio": (">=", 0.6),
    "history_growth": (">=", 0.9),
    "flow_p99_ms": ("<=", 150),
    "flow_capacity_cases_s": (">=", 100),
    "pipeline_ratio": (">=", 0.7),
    "recovery_s": ("<=", 15),
    "stack_rss_mb": ("<=", 400),
    "console_capacity_p95_ms": ("<=", 100),
    "console_board_p95_ms": ("<=", 100),
    "console_first_visit_kb": ("<=", 60),
}


def say(line: str) -> None:
    print(line, flush=True)


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": cpu,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


def stack_processes(stack: Stack) -> list[psutil.Process]:
    """The services and the console, PostgreSQL (postmaster, backends, helpers) and
    nats-server of this stack; not the runner, not this driver."""
    state = stack.state()
    pids = [s["pid"] for s in state["services"].values()]
    home = str(stack.home)
    for proc in psutil.process_iter(["pid", "name", "cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if (proc.info["name"] or "").startswith("postgres") or "nats-server" in cmd:
            try:
                if home in cmd or (proc.info["name"] == "postgres" and _is_child_of_pg(proc, home)):
                    pids.append(proc.info["pid"])
            except psutil.Error:
                pass
    found = []
    for pid in set(pids):
        try:
            found.append(psutil.Process(pid))
        except psutil.Error:
            pass
    return found


def _part(proc: psutil.Process, services: dict[int, str]) -> str:
    """Which part of the stack a process is: a service, a database's backends, nats-server,
    or PostgreSQL's own processes."""
    if proc.pid in services:
        return services[proc.pid]
    title = " ".join(proc.cmdline())
    if "nats-server" in title:
        return "nats-server"
    if title.startswith("postgres: ") and title.split()[1].startswith("amparo_"):
        return f"postgres {title.split()[1]}"
    return "postgres (server)"


def stack_rss_mb(stack: Stack) -> dict:
    """Resident memory of the services and the console, PostgreSQL and nats-server, with
    the share of each part (and how many processes it is): where the next megabytes are.

    PostgreSQL backends share their buffers; summing RSS counts those pages once per
    backend, so the headline uses PSS (proportional) and RSS is reported beside it."""
    services = {s["pid"]: name for name, s in stack.state()["services"].items()}
    rss = pss = 0
    parts: dict[str, list] = {}
    for proc in stack_processes(stack):
        try:
            info = proc.memory_full_info()
            part = _part(proc, services)
        except psutil.Error:
            continue
        rss += info.rss
        share = getattr(info, "pss", info.rss)
        pss += share
        entry = parts.setdefault(part, [0.0, 0])
        entry[0] += share / 2**20
        entry[1] += 1
    return {
        "stack_rss_mb": round(pss / 2**20, 1),
        "stack_rss_sum_mb": round(rss / 2**20, 1),
        "stack_memory_by_part": {
            part: {"pss_mb": round(mb, 1), "processes": n} for part, (mb, n) in sorted(parts.items())
        },
    }


def cpu_seconds(stack: Stack) -> dict[int, float]:
    """CPU seconds (user + system) so far, per process of the stack."""
    spent = {}
    for proc in stack_processes(stack):
        try:
            times = proc.cpu_times()
            spent[proc.pid] = times.user + times.system
        except psutil.Error:
            pass
    return spent


def cpu_ms_per_case(before: dict[int, float], after: dict[int, float], cases: int) -> float | None:
    """The stack's CPU per case while the flow ran: steadier than its latency on a shared
    machine, and it says whether a change made the work smaller. A backend opened during
    the flow counts from zero; one closed during it is lost (pools keep theirs 300 s)."""
    if not cases:
        return None
    spent = sum(t - before.get(pid, 0.0) for pid, t in after.items())
    return round(spent * 1000 / cases, 1)


def _is_child_of_pg(proc: psutil.Process, home: str) -> bool:
    parent = proc.parent()
    return parent is not None and home in " ".join(parent.cmdline())


def ensure_wrk() -> bool:
    if load.have_wrk():
        return True
    if shutil.which("apt-get") and os.geteuid() == 0:
        say("installing wrk (Debian package) ...")
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False, capture_output=True)
    return load.have_wrk()


def start_baseline(dsn: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, BENCH_DSN=dsn)
    proc = subprocess.Popen([sys.executable, "-m", "bench.baseline_app", str(port)], env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(url + "/baseline", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("baseline app did not start")


def availability_url(stack: Stack) -> str:
    start = (datetime.now(UTC) + timedelta(days=1)).date()
    end = start + timedelta(days=7)
    return f"{stack.url('shelters')}/availability?country=MX&from={start}&to={end}&adults=1&children=2"


def main() -> int:
    results: dict = {"machine": machine()}
    seconds = int(os.environ.get("BENCH_SECONDS", "10"))
    home = Path(tempfile.mkdtemp(prefix="amparo-bench-"))
    stack = Stack(home)
    say(f"starting the stack in {home} ...")
    stack.start()
    baseline_proc = None
    try:
        shelters_dsn = with_database(stack.state()["database_url"], "amparo_shelters")
        say("seeding 200 shelters, 5,000 beds through the API ...")
        seed.shelters_and_beds(stack, shelters=200, beds_per_shelter=25)
        occupied = asyncio.run(seed.current_occupancy(shelters_dsn))
        say(f"{occupied} beds occupied now by families staying (every measurement sees them)")
        results["occupied_beds"] = occupied
        say("console: capacity and board pages with 200 shelters ...")
        results.update(console_bench.measure(stack))
        if not ensure_wrk():
            say("wrk is not available: skipping the HTTP throughput measurements")
        else:
            token = stack.token("network_staff")
            url = availability_url(stack)
            say("availability with no history ...")
            empty = load.wrk(url, token=token, seconds=seconds)
            say("adding 100,000 past placements ...")
            asyncio.run(seed.past_placements(shelters_dsn, 100_000))
            say("availability with 100,000 past placements, and the bare baseline ...")
            with_history = load.wrk(url, token=token, seconds=seconds)
            baseline_proc, baseline_url = start_baseline(shelters_dsn)
            baseline = load.wrk(baseline_url + "/baseline?country=MX", seconds=seconds)
            baseline_proc.terminate()
            baseline_proc.wait(10)
            baseline_proc = None
            say("adding past placements up to 1,000,000 ...")
            asyncio.run(seed.past_placements(shelters_dsn, 900_000))
            big = load.wrk(url, token=token, seconds=seconds)
            results["availability"] = {"empty": empty, "100k": with_history, "1M": big, "baseline": baseline}
            results["availability_ratio"] = round(with_history["rps"] / baseline["rps"], 3)
            results["availability_p99_ms"] = with_history.get("p99_ms")
            results["history_growth"] = round(big["rps"] / empty["rps"], 3)
        # The flow runs on the largest history: harder than the realistic 100,000.
        say("flow: 20 cases per second for 30 seconds ...")
        cpu_before = cpu_seconds(stack)
        flow = asyncio.run(run_flow(stack, rate=20, seconds=int(os.environ.get("BENCH_FLOW_SECONDS", "30"))))
        results["flow_cpu_ms_per_case"] = cpu_ms_per_case(cpu_before, cpu_seconds(stack), flow["cases"])
        results["flow"] = flow
        results["flow_p50_ms"] = flow.get("p50_ms")
        results["flow_p99_ms"] = flow.get("p99_ms")
        results.update(stack_rss_mb(stack))
        say("flow capacity: 20, 40, 60 ... cases per second, 20 seconds each, until p99 > 150 ms ...")
        step_seconds = int(os.environ.get("BENCH_STEP_SECONDS", "20"))
        results.update(asyncio.run(capacity.measure(stack, seconds=step_seconds, say=say)))
        say("pipeline: outbox -> relay -> JetStream -> consumer vs raw JetStream ...")
        # Its own nats-server with the same settings, so the stack's streams stay untouched.
        nats = start_nats(home / "bench-nats", port=free_port(), sync_always=True)
        try:
            results.update(run_on_uvloop(measure_pipeline(stack.state()["database_url"], nats.url)))
        finally:
            nats.stop()
        # Last: it kills the stack's parts, and one that does not come back ends the stack.
        say("recovery: kill -9 each part under amparo run while cases flow ...")
        results.update(asyncio.run(recovery.measure(stack, say=say)))
    finally:
        if baseline_proc is not None:
            baseline_proc.kill()
        stack.stop()
        if not os.environ.get("BENCH_KEEP_HOME"):
            shutil.rmtree(home, ignore_errors=True)
    write(results)
    return 0


def verdict(name: str, value) -> str:
    if value is None:
        return "not measured"
    op, target = TARGETS[name]
    ok = value >= target if op == ">=" else value <= target
    return f"{'meets' if ok else 'misses'} {op} {target}"


def write(results: dict) -> None:
    (HERE / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    m = results["machine"]
    lines = [
        f"Measured {m['date']} on {m['cpus']} cores ({m['cpu_model']}), {m['memory_gb']} GB, Python {m['python']}.",
        "",
        "| measure | value | target |",
        "| --- | --- | --- |",
    ]
    for name in TARGETS:
        lines.append(f"| `{name}` | {results.get(name)} | {verdict(name, results.get(name))} |")
    for name in ("availability_p99_ms", "flow_p50_ms", "flow_cpu_ms_per_case"):
        lines.append(f"| `{name}` | {results.get(name)} | |")
    (HERE / "results.md").write_text("\n".join(lines) + "\n")
    say("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
