"""Run the scripted LLM on a free local port for a test or the eval, and steer it over HTTP.

The server runs in a thread with its own event loop, so it serves sync and async tests alike
and keeps answering while the test's loop is busy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn

from bancone_scripted_llm.app import create_app
from bancone_scripted_llm.script import Script


class ScriptedLlm:
    """A handle on a running scripted server: its OpenAI base URL and its control routes."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.base_url = f"{self.url}/v1"
        """What an OpenAI client takes as `base_url`."""

    def load(self, script: Script | dict[str, Any]) -> None:
        body = script.model_dump(mode="json") if isinstance(script, Script) else script
        self._call("PUT", "/script", json=body)

    def requests(self) -> list[dict[str, Any]]:
        """Every chat completion request received, oldest first: body, auth, which rule."""
        found: list[dict[str, Any]] = self._call("GET", "/script/requests").json()
        return found

    def bodies(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests()]

    def forget_requests(self) -> None:
        self._call("DELETE", "/script/requests")

    def hold(self, match: str) -> None:
        """Requests whose message texts match `match` wait until `release(match)`."""
        self._call("POST", "/script/hold", json={"match": match})

    def release(self, match: str) -> bool:
        released: bool = self._call("POST", "/script/release", json={"match": match}).json()[
            "released"
        ]
        return released

    def waiting(self, match: str) -> int:
        """How many requests wait at the `match` gate right now."""
        for hold in self._call("GET", "/script/holds").json():
            if hold["match"] == match:
                return int(hold["waiting"])
        return 0

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = httpx.request(method, f"{self.url}{path}", timeout=10.0, **kwargs)
        response.raise_for_status()
        return response


@contextmanager
def running_scripted_llm(
    script: Script | dict[str, Any] | None = None, *, startup_timeout: float = 10.0
) -> Iterator[ScriptedLlm]:
    """A fresh scripted server on 127.0.0.1 with an OS-chosen port, for the `with` block."""
    loaded = Script.model_validate(script) if isinstance(script, dict) else script
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(loaded),
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, name="scripted-llm", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the scripted LLM server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield ScriptedLlm(f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
