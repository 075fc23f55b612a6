"""Tokens signed like the gateway signs them, for tests of guarded routes without a gateway.

`TokenSigner` holds real Ed25519 keys and publishes their JWKS; `install(app, service)` puts a
real `TokenVerifier` over that JWKS on the app, so a test exercises the same verification and
guards as production, only the key source differs.
"""

from __future__ import annotations

import uuid
from collections.abc import Generator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI
from jwt.algorithms import OKPAlgorithm

from bancone_kit.auth.claims import ALGORITHM, DEFAULT_ISSUER, OPERATOR_AUDIENCE, service_audience
from bancone_kit.auth.jwks import JwksCache, StaticJwks
from bancone_kit.auth.verifier import TokenVerifier


class TokenSigner:
    """Plays the gateway: Ed25519 keys by kid, a JWKS of the live ones."""

    def __init__(self, prefix: str = "k", issuer: str = DEFAULT_ISSUER) -> None:
        self.prefix = prefix
        self.issuer = issuer
        self.keys: dict[str, Ed25519PrivateKey] = {}
        self.current = ""
        self.rotate()

    def rotate(self) -> str:
        self.current = f"{self.prefix}{len(self.keys) + 1}"
        self.keys[self.current] = Ed25519PrivateKey.generate()
        return self.current

    def jwks(self) -> dict[str, Any]:
        keys = []
        for kid, key in self.keys.items():
            jwk = OKPAlgorithm.to_jwk(key.public_key(), as_dict=True)
            keys.append({**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"})
        return {"keys": keys}

    def token(self, *, kid: str | None = None, ttl: float = 3600, **claims: Any) -> str:
        """An operator token (admin of `shop-a` unless `claims` say otherwise). Valid an hour:
        modules sign tokens when collected, and a loaded machine can take half an hour to
        reach their tests."""
        now = datetime.now(UTC)
        payload = {
            "iss": self.issuer,
            "iat": now,
            "exp": now + timedelta(seconds=ttl),
            "jti": str(uuid.uuid4()),
            "sub": "op-1",
            "aud": OPERATOR_AUDIENCE,
            "kind": "operator",
            "tid": "shop-a",
            "role": "admin",
            **claims,
        }
        kid = kid or self.current
        return jwt.encode(payload, self.keys[kid], algorithm=ALGORITHM, headers={"kid": kid})

    def operator(self, tenant_id: str, role: str) -> str:
        return self.token(tid=tenant_id, role=role, sub=f"op-{role}-{tenant_id}")

    def platform(self) -> str:
        return self.token(tid=None, role="platform", sub="op-platform")

    def service(self, tenant_id: str, callee: str, caller: str = "agent") -> str:
        return self.token(
            tid=tenant_id,
            role=None,
            sub=f"service:{caller}",
            kind="service",
            aud=service_audience(callee),
        )

    def verifier(self, service: str) -> TokenVerifier:
        return TokenVerifier(JwksCache(StaticJwks(self.jwks)), service=service, issuer=self.issuer)

    def install(self, app: FastAPI, service: str) -> FastAPI:
        """Make `app` verify this signer's tokens (as it would the gateway's)."""
        app.state.token_verifier = self.verifier(service)
        return app


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TenantBearer(httpx.Auth):
    """httpx auth for tests: each request carries a token of `role` for the tenant named in its
    path (`/v1/tenants/<tenant>/...`), so a test of another behaviour passes the guards the way
    the tenant's own operator (or, with `service`, the agent) would. A request that sets its
    own `Authorization` keeps it."""

    def __init__(self, signer: TokenSigner, role: str = "owner", *, service: str | None = None):
        self._signer = signer
        self._role = role
        self._service = service

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if "Authorization" in request.headers:  # the test chose the credential itself
            yield request
            return
        parts = request.url.path.split("/")
        tenant = parts[3] if len(parts) > 3 and parts[1:3] == ["v1", "tenants"] else "shop-a"
        if self._service is not None:
            token = self._signer.service(tenant, self._service)
        else:
            token = self._signer.operator(tenant, self._role)
        request.headers["Authorization"] = f"Bearer {token}"
        yield request
