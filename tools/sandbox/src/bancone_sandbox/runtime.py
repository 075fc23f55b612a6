"""What the routes share: the in-memory state and the HTTP client for status webhooks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, cast

import httpx
from fastapi import Depends, Request

from bancone_sandbox.settings import SandboxSettings
from bancone_sandbox.state import SandboxState


@dataclass
class SandboxRuntime:
    """Owns the webhook client unless one was injected (tests pass an ASGI-backed client)."""

    settings: SandboxSettings
    state: SandboxState
    injected_client: httpx.AsyncClient | None = None
    _own_client: httpx.AsyncClient | None = field(default=None, init=False)

    def webhook_client(self) -> httpx.AsyncClient:
        if self.injected_client is not None:
            return self.injected_client
        if self._own_client is None:
            timeout = httpx.Timeout(self.settings.status_webhook_timeout_seconds)
            self._own_client = httpx.AsyncClient(timeout=timeout)
        return self._own_client

    async def aclose(self) -> None:
        if self._own_client is not None:
            await self._own_client.aclose()
            self._own_client = None


def get_runtime(request: Request) -> SandboxRuntime:
    return cast(SandboxRuntime, request.app.state.runtime)


RuntimeDep = Annotated[SandboxRuntime, Depends(get_runtime)]
