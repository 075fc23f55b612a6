"""The caller's side of service identity: get a tenant-scoped service token from the gateway.

A service (the agent) authenticates to the gateway with its own client id and secret (HTTP
Basic) and receives a short-lived JWT for one tenant and one callee (`catalog`, `ingest`).
Tokens are cached per (tenant, callee) and reused until `refresh_margin` before they expire,
so a busy conversation costs the gateway one call per token lifetime, not one per request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, SecretStr

SERVICE_TOKEN_PATH = "/v1/auth/service-token"  # noqa: S105 (a URL path)


class ServiceTokenResponse(BaseModel):
    access_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 (the scheme name)


@dataclass(frozen=True, slots=True)
class _Cached:
    token: str
    refresh_after: float


class ServiceTokenClient:
    """Mints (via the gateway) and caches service tokens; `headers(tenant, callee)` for httpx."""

    def __init__(
        self,
        gateway_url: str,
        client_id: str,
        client_secret: SecretStr,
        *,
        client: httpx.AsyncClient | None = None,
        refresh_margin_seconds: float = 30.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._url = gateway_url.rstrip("/") + SERVICE_TOKEN_PATH
        self._auth = httpx.BasicAuth(client_id, client_secret.get_secret_value())
        self._client = client
        self._margin = refresh_margin_seconds
        self._timeout = timeout
        self._clock = clock
        self._cache: dict[tuple[str, str], _Cached] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self.mints = 0
        """How many tokens were fetched from the gateway (observability and tests)."""

    async def token(self, tenant_id: str, callee: str) -> str:
        key = (tenant_id, callee)
        cached = self._cache.get(key)
        if cached is not None and self._clock() < cached.refresh_after:
            return cached.token
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._cache.get(key)
            if cached is not None and self._clock() < cached.refresh_after:
                return cached.token
            minted = await self._mint(tenant_id, callee)
            lifetime = max(0.0, minted.expires_in - self._margin)
            self._cache[key] = _Cached(minted.access_token, self._clock() + lifetime)
            return minted.access_token

    async def headers(self, tenant_id: str, callee: str) -> dict[str, str]:
        """`Authorization` for a call to `callee` about `tenant_id`."""
        return {"Authorization": f"Bearer {await self.token(tenant_id, callee)}"}

    async def _mint(self, tenant_id: str, callee: str) -> ServiceTokenResponse:
        body = {"tenant_id": tenant_id, "audience": callee}
        if self._client is not None:
            response = await self._client.post(
                self._url, json=body, auth=self._auth, timeout=self._timeout
            )
        else:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.post(self._url, json=body, auth=self._auth)
        response.raise_for_status()
        self.mints += 1
        return ServiceTokenResponse.model_validate(response.json())
