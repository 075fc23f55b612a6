"""Local verification of the gateway's tokens: signature by `kid`, expiry, issuer, audience.

No call to the gateway per request: the public keys come from a `JwksCache`. Every failure is
one `InvalidTokenError` (the caller answers 401 without saying which check failed).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import jwt

from bancone_kit.auth.claims import (
    ALGORITHM,
    CLAIM_KIND,
    CLAIM_ROLE,
    CLAIM_TENANT,
    DEFAULT_ISSUER,
    OPERATOR_AUDIENCE,
    REQUIRED_CLAIMS,
    service_audience,
)
from bancone_kit.auth.jwks import JwksCache, JwksUnavailableError
from bancone_kit.auth.principal import Principal

_MAX_CACHED_HEADERS = 32


class InvalidTokenError(Exception):
    """The token is missing, malformed, tampered, expired, or not meant for this service."""


class TokenVerifier:
    """Verifies operator access tokens and service tokens addressed to `service`.

    `leeway` tolerates small clock skew between the gateway and this service.
    """

    def __init__(
        self,
        keys: JwksCache,
        *,
        service: str,
        issuer: str = DEFAULT_ISSUER,
        leeway_seconds: float = 30.0,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audiences: Collection[str] = (OPERATOR_AUDIENCE, service_audience(service))
        self._service_audience = service_audience(service)
        self._leeway = leeway_seconds
        self._headers: dict[str, dict[str, Any]] = {}

    def _header(self, token: str) -> dict[str, Any]:
        """The JOSE header; every token of one key shares it, so verified ones are memoised
        (a third of PyJWT's cost is decoding it; bounded, filled only after a success)."""
        cached = self._headers.get(token.partition(".")[0])
        if cached is not None:
            return cached
        try:
            return jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidTokenError("malformed token") from exc

    async def verify(self, token: str) -> Principal:
        header = self._header(token)
        kid = header.get("kid")
        if header.get("alg") != ALGORITHM or not isinstance(kid, str) or not kid:
            raise InvalidTokenError("unexpected algorithm or missing kid")
        try:
            key = await self._keys.key(kid)
        except JwksUnavailableError as exc:
            raise InvalidTokenError("signing keys unavailable") from exc
        if key is None:
            raise InvalidTokenError("unknown signing key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[ALGORITHM],
                audience=list(self._audiences),
                issuer=self._issuer,
                leeway=self._leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.PyJWTError as exc:
            raise InvalidTokenError("token rejected") from exc
        principal = self._principal(claims)
        if len(self._headers) < _MAX_CACHED_HEADERS:
            self._headers[token.partition(".")[0]] = header
        return principal

    def _principal(self, claims: dict[str, Any]) -> Principal:
        kind = claims.get(CLAIM_KIND)
        tenant = claims.get(CLAIM_TENANT)
        role = claims.get(CLAIM_ROLE)
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if kind == "service":
            # A service token is for one callee: an operator audience must not be smuggled in.
            if audiences != [self._service_audience] or not isinstance(tenant, str):
                raise InvalidTokenError("service token for another service or without tenant")
        elif kind == "operator":
            if OPERATOR_AUDIENCE not in audiences or not isinstance(role, str):
                raise InvalidTokenError("operator token without role")
            if role != "platform" and not isinstance(tenant, str):
                raise InvalidTokenError("operator token without tenant")
        else:
            raise InvalidTokenError("unknown token kind")
        return Principal(
            kind=kind,
            subject=str(claims["sub"]),
            tenant_id=tenant if isinstance(tenant, str) else None,
            role=role if isinstance(role, str) else None,
            token_id=str(claims["jti"]),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
