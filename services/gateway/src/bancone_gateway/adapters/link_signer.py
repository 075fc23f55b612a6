"""Signs and opens customer link tokens: compact JWTs (HS256, PyJWT) under the gateway's link
keyring (`kid:base64key,...`, the first entry signs, every entry verifies: rotation without
breaking links still in flight).

HS256 because only the gateway both signs and verifies (no public key to publish), and JWT
because PyJWT (already the gateway's library for operator tokens) checks `exp` and `aud`
and carries the `kid` header that rotation needs; the link key is separate from the operator
token keys, so a leaked link key forges links, never sessions.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import jwt

from bancone_gateway.domain.links import LINK_KINDS, LinkGrant, LinkNotFoundError, grant
from bancone_kit.clock import utcnow
from bancone_kit.crypto import Keyring

ALGORITHM = "HS256"
AUDIENCE = "bancone-link"
REQUIRED = ("exp", "aud", "sub", "tid", "kind")


class LinkSigner:
    def __init__(self, keyring: Keyring, *, clock: Callable[[], datetime] = utcnow) -> None:
        self._keyring = keyring
        self._clock = clock

    def sign(self, link: LinkGrant) -> str:
        claims = {
            "aud": AUDIENCE,
            "sub": link.resource_id,
            "tid": link.tenant_id,
            "kind": link.kind,
            "exp": int(link.expires_at.timestamp()),
        }
        kid = self._keyring.current_id
        return jwt.encode(
            claims, self._keyring.keys[kid], algorithm=ALGORITHM, headers={"kid": kid}
        )

    def open(self, token: str) -> LinkGrant:
        """The grant of a valid token; `LinkNotFoundError` for anything else (no detail)."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._keyring.keys.get(kid) if isinstance(kid, str) else None
            if key is None:
                raise LinkNotFoundError("unknown link key")
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                options={"require": list(REQUIRED), "verify_exp": False},
            )
        except jwt.PyJWTError as exc:
            raise LinkNotFoundError("invalid link token") from exc
        if claims["kind"] not in LINK_KINDS:
            raise LinkNotFoundError("unknown link kind")
        try:
            expires = datetime.fromtimestamp(int(claims["exp"]), UTC)
            found = grant(str(claims["tid"]), str(claims["kind"]), str(claims["sub"]), expires)
        except (ValueError, TypeError, OverflowError) as exc:
            raise LinkNotFoundError("malformed link claims") from exc
        if self._clock() >= found.expires_at:
            raise LinkNotFoundError("expired link")
        return found
