"""The HTTP server every service runs on (`amparo serve`), and the limits it enforces.

Granian (Rust, hyper) rather than uvicorn: uvicorn has no timeout for a request whose
headers never finish (its keep-alive timeout starts only after a response), so one
client holding a few hundred half-sent requests is never cut off; with httptools it
also takes 10,000 headers or a 1 MB header. Granian drops a request whose headers are
not complete after ``HEADER_SECONDS``, answers 431 past 100 headers (hyper's limit) or
past ``MAX_HEAD_BYTES`` of head, and serves HTTP/1.1 only (its HTTP/2 would take 16 MB of
headers). A body sent a byte at a time is bounded by the app itself
(``shared.http.BODY_SECONDS``, a 408), as no server bounds a body the app reads.

It runs embedded in the service's own process: one process per service, so the runner's
SIGKILL of a service leaves no worker behind holding the port.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Any

import uvloop
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings
from granian.log import LogLevels
from granian.server.embed import Server

HEADER_SECONDS = 5
MAX_HEAD_BYTES = 64 * 1024
BACKLOG = 1024

# Granian's own lines (startup, errors) go to stderr with the service's log; its access
# log stays off (shared.http writes one structured line per request).
_LOG_CONFIG: dict[str, Any] = {
    "handlers": {
        "console": {"formatter": "generic", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
        "access": {"formatter": "access", "class": "logging.StreamHandler", "stream": "ext://sys.stderr"},
    }
}


def server(app: Any, host: str, port: int) -> Server:
    return Server(
        app,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        http=HTTPModes.http1,
        websockets=False,
        backlog=BACKLOG,
        http1_settings=HTTP1Settings(
            header_read_timeout=HEADER_SECONDS * 1000, max_buffer_size=MAX_HEAD_BYTES, keep_alive=True
        ),
        # "error": the embedded mode announces itself as experimental at warning level.
        log_level=LogLevels.error,
        log_dictconfig=_LOG_CONFIG,
        log_access=False,
    )


def run(app: Any, host: str, port: int) -> int:
    """Serve on uvloop (as uvicorn and granian's own workers do; the stdlib loop costs
    about a fifth more CPU per request here)."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(serve(app, host, port))


async def serve(app: Any, host: str, port: int) -> int:
    """Serve until SIGTERM or SIGINT (graceful: the app's lifespan shutdown runs)."""
    srv = server(app, host, port)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, srv.stop)
    await srv.serve()
    # A worker that ended by itself (the app's startup failed) is a failed process.
    return 1 if srv.interrupt_children else 0
