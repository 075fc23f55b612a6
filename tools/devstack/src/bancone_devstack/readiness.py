"""Readiness of a supervised HTTP process: poll its probe until it answers 200, with a
deadline, and fail at once (naming the exit) when the process dies instead."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx

from bancone_devstack.process import Child

POLL_SECONDS = 0.2


class ExitedBeforeReadyError(RuntimeError):
    """The process exited while its probe was polled."""

    def __init__(self, child: Child, url: str) -> None:
        super().__init__(
            f"{child.name} exited with code {child.returncode} before it was ready "
            f"({child.command_line}, {url})"
        )
        self.child = child
        self.url = url


class NotReadyError(TimeoutError):
    """The probe did not answer 200 before the deadline; `last` is its last answer."""

    def __init__(self, child: Child, url: str, timeout: float, last: str) -> None:
        super().__init__(
            f"{child.name} not ready at {url} after {timeout:.0f}s; last answer: {last}"
        )
        self.child = child
        self.url = url
        self.last = last


def summarise_response(response: httpx.Response) -> str:
    """Status and the problem detail (or the start of the body) of an HTTP answer."""
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    if isinstance(body, dict):
        detail = body.get("detail") or body.get("title") or body
        errors = body.get("errors") or body.get("issues")
        text = f"{detail}" + (f" {json.dumps(errors)[:400]}" if errors else "")
    else:
        text = str(body)
    return f"{response.status_code} {text[:500]}"


async def wait_ready(
    child: Child, url: str, *, deadline_seconds: float, poll: float = POLL_SECONDS
) -> float:
    """Poll `url` until 200; the seconds since the child started. A 503 body names the
    failing dependency, so it is kept as the last answer for the error."""
    deadline = time.monotonic() + deadline_seconds
    last = "no answer yet"
    async with httpx.AsyncClient(timeout=3.0) as client:
        while True:
            if not child.alive:
                raise ExitedBeforeReadyError(child, url)
            try:
                response = await client.get(url)
            except httpx.TransportError as error:
                last = type(error).__name__
            else:
                if response.status_code == 200:
                    return child.uptime
                last = summarise_response(response)
            if time.monotonic() > deadline:
                raise NotReadyError(child, url, deadline_seconds, last)
            await asyncio.sleep(poll)
