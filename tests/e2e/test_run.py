"""`make run` gives a working system: three ready services, OpenAPI, tokens that work."""

import httpx

from tests.e2e.harness import poll


def test_three_services_are_ready_with_openapi(stack):
    for service in ("risk", "shelters", "funds"):
        assert httpx.get(stack.url(service) + "/ready").status_code == 200
        schema = httpx.get(stack.url(service) + "/schema/openapi.json").json()
        assert schema["info"]["title"] == f"Amparo {service}"
        # Every route names its operation, so generated clients get stable names.
        for path, operations in schema["paths"].items():
            for method, operation in operations.items():
                assert operation.get("operationId"), f"{method.upper()} {path} has no operationId"


def test_a_killed_service_is_restarted_by_the_runner(stack):
    old = stack.kill_service("funds")
    stack.wait_ready("funds", not_pid=old)
    assert poll(lambda: httpx.get(stack.url("funds") + "/health").status_code == 200)


def test_tokens_from_the_cli_are_accepted_and_checked(stack):
    with stack.client("risk", "fund_committee") as client:
        response = client.get("/cases")
        assert response.status_code in (403, 404)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert httpx.get(stack.url("risk") + "/cases").status_code == 401


def test_stopping_the_system_leaves_nothing_running(tmp_path):
    """Ctrl-C (SIGTERM here) stops the services, nats-server and PostgreSQL, and a second
    run over the same data comes up again."""
    import subprocess

    from tests.e2e.harness import Stack

    for _ in range(2):
        stack = Stack(tmp_path / "home")
        stack.start()
        assert stack.stop() == 0
        left = subprocess.run(["pgrep", "-f", str(stack.home)], capture_output=True, text=True).stdout.split()
        assert left == [], f"still running after stop: {left}"


def test_services_do_not_carry_the_benchmarks_http_client(stack):
    """aiohttp is installed for the benchmark's driver, and nats-py imports it when it can
    (for a websocket transport the services never use): about 8 MB in each of the five
    processes. `amparo serve` keeps it out (deploy/cli.py, NOT_IN_A_SERVICE); its compiled
    parser would show in the process's memory map."""
    from pathlib import Path

    for service in ("risk", "shelters", "funds", "console"):
        pid = stack.state()["services"][service]["pid"]
        maps = Path(f"/proc/{pid}/maps").read_text()
        assert "/aiohttp/" not in maps, f"{service} loaded aiohttp"


def test_nats_server_collects_its_garbage_sooner(stack):
    """nats-server's Go heap would grow to twice its live data before collecting; the
    stack starts it with GOGC=50 (deploy/embedded.py), about 14 MB less after a burst."""
    import subprocess
    from pathlib import Path

    (pid,) = subprocess.run(
        ["pgrep", "-f", f"{stack.home}/nats/nats.conf"], capture_output=True, text=True
    ).stdout.split()
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert b"GOGC=50" in environ
