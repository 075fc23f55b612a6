"""Run a sandbox on a free local port for the duration of a test (sync or async tests alike).

It serves from a thread with its own event loop, so it works beside pytest-asyncio's loop.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from bancone_sandbox.app import create_app
from bancone_sandbox.settings import SandboxSettings


@contextmanager
def serving(app: FastAPI, *, startup_timeout: float = 10.0) -> Iterator[str]:
    """Serve any ASGI app on 127.0.0.1 with an OS-chosen port; yields its base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="sandbox-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def running_sandbox(settings: SandboxSettings | None = None) -> Iterator[str]:
    """A fresh sandbox (channels from `settings`); yields its base URL."""
    with serving(create_app(settings or SandboxSettings())) as url:
        yield url
