"""Signs the gateway's JWTs: operator access tokens, service tokens, one-time link tokens.

Claims follow `bancone_kit.auth.claims` (the verifiers' vocabulary). Link tokens (invites,
password resets) are signed too, with their own audience per purpose, and name a database row
that makes them one-time.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import jwt

from bancone_gateway.adapters.signing_keys import SigningKeyStore
from bancone_kit.auth.claims import (
    ALGORITHM,
    CLAIM_KIND,
    CLAIM_ROLE,
    CLAIM_TENANT,
    OPERATOR_AUDIENCE,
    service_audience,
)

LinkPurpose = Literal["invite", "reset"]


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    token_id: str
    expires_at: datetime
    expires_in: int


class LinkTokenError(Exception):
    """A link token that does not verify (tampered, expired, other purpose, unknown key)."""


class TokenIssuer:
    def __init__(
        self,
        keys: SigningKeyStore,
        *,
        issuer: str,
        access_ttl: timedelta,
        service_ttl: timedelta,
    ) -> None:
        self._keys = keys
        self._issuer = issuer
        self._access_ttl = access_ttl
        self._service_ttl = service_ttl

    async def _sign(self, claims: dict[str, Any], ttl: timedelta) -> IssuedToken:
        key = (await self._keys.keyring()).current
        now = datetime.now(UTC).replace(microsecond=0)
        expires = now + ttl
        token_id = str(uuid.uuid4())
        payload = {"iss": self._issuer, "iat": now, "exp": expires, "jti": token_id, **claims}
        token = jwt.encode(payload, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
        return IssuedToken(token, token_id, expires, int(ttl.total_seconds()))

    async def operator_token(
        self, operator_id: str, tenant_id: str | None, role: str
    ) -> IssuedToken:
        claims: dict[str, Any] = {
            "sub": operator_id,
            "aud": OPERATOR_AUDIENCE,
            CLAIM_KIND: "operator",
            CLAIM_ROLE: role,
        }
        if tenant_id is not None:
            claims[CLAIM_TENANT] = tenant_id
        return await self._sign(claims, self._access_ttl)

    async def service_token(self, service: str, tenant_id: str, callee: str) -> IssuedToken:
        claims = {
            "sub": f"service:{service}",
            "aud": service_audience(callee),
            CLAIM_KIND: "service",
            CLAIM_TENANT: tenant_id,
        }
        return await self._sign(claims, self._service_ttl)

    async def link_token(self, purpose: LinkPurpose, row_id: str, expires_at: datetime) -> str:
        key = (await self._keys.keyring()).current
        payload = {
            "iss": self._issuer,
            "aud": f"bancone-link:{purpose}",
            "sub": row_id,
            "exp": expires_at,
            "iat": datetime.now(UTC),
        }
        return jwt.encode(payload, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})

    async def open_link(self, token: str, purpose: LinkPurpose) -> str:
        """The row id a valid link token names."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = (await self._keys.keyring()).get(str(kid))
            if key is None:
                raise LinkTokenError("unknown key")
            claims = jwt.decode(
                token,
                key.private_key.public_key(),
                algorithms=[ALGORITHM],
                audience=f"bancone-link:{purpose}",
                issuer=self._issuer,
                options={"require": ["exp", "sub", "aud", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise LinkTokenError("invalid link token") from exc
        return str(claims["sub"])
