"""Where the verifier gets the gateway's public keys, and the cache in front of it.

`JwksCache` refreshes when its copy is older than `max_age`, and when a token names a `kid` it
does not know (the gateway rotated) — but at most once per `min_refresh_interval`, so a flood of
tokens with made-up `kid`s cannot turn every request into a call to the gateway.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import httpx
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKError, PyJWKSetError

from bancone_kit.logging import get_logger

log = get_logger(__name__)

JWKS_PATH = "/.well-known/jwks.json"


class JwksSource(Protocol):
    """Returns a JWK Set document (`{"keys": [...]}`)."""

    async def fetch(self) -> Mapping[str, Any]: ...


class HttpJwks:
    """The gateway's JWKS over HTTP (`<gateway>/.well-known/jwks.json`), with a timeout."""

    def __init__(self, url: str, client: httpx.AsyncClient | None = None, timeout: float = 5.0):
        self._url = url
        self._client = client
        self._timeout = timeout

    async def fetch(self) -> Mapping[str, Any]:
        if self._client is not None:
            response = await self._client.get(self._url, timeout=self._timeout)
        else:
            async with httpx.AsyncClient(timeout=self._timeout) as client:
                response = await client.get(self._url)
        response.raise_for_status()
        document: Mapping[str, Any] = response.json()
        return document


class StaticJwks:
    """A JWKS from a callable (the gateway verifying its own tokens, benches, unit tests)."""

    def __init__(self, provide: Callable[[], Mapping[str, Any] | Awaitable[Mapping[str, Any]]]):
        self._provide = provide

    async def fetch(self) -> Mapping[str, Any]:
        result = self._provide()
        if isinstance(result, Mapping):
            return result
        return await result


class JwksUnavailableError(RuntimeError):
    """No key set could be fetched and none is cached."""


class JwksCache:
    """The keys by `kid`, refreshed on age or on an unknown `kid` (rate-bounded)."""

    def __init__(
        self,
        source: JwksSource,
        *,
        max_age: float = 600.0,
        min_refresh_interval: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._max_age = max_age
        self._min_interval = min_refresh_interval
        self._clock = clock
        self._keys: dict[str, PyJWK] = {}
        self._fetched_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0
        """How many times the source was asked (observability and tests)."""

    async def key(self, kid: str) -> PyJWK | None:
        """The public key `kid`, refreshing the set first when stale or when `kid` is new."""
        if self._stale() or (kid not in self._keys and self._may_refresh()):
            await self._refresh(kid)
        return self._keys.get(kid)

    def _stale(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._max_age

    def _may_refresh(self) -> bool:
        return self._fetched_at is None or self._clock() - self._fetched_at >= self._min_interval

    async def _refresh(self, kid: str) -> None:
        async with self._lock:
            # Another request may have refreshed while this one waited.
            if not self._stale() and (kid in self._keys or not self._may_refresh()):
                return
            self.fetches += 1
            try:
                document = await self._source.fetch()
                keys = {
                    key.key_id: key
                    for key in PyJWKSet.from_dict(dict(document)).keys
                    if key.key_id is not None
                }
            except (httpx.HTTPError, PyJWKError, PyJWKSetError, ValueError) as exc:
                log.warning("auth.jwks_refresh_failed", error=type(exc).__name__)
                if not self._keys:
                    self._fetched_at = self._clock()
                    raise JwksUnavailableError("the gateway's JWKS could not be fetched") from exc
                self._fetched_at = self._clock()
                return
            self._keys = keys
            self._fetched_at = self._clock()
            log.info("auth.jwks_refreshed", keys=len(keys))
