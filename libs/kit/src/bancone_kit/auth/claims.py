"""The claims of Bancone's tokens: one vocabulary for the gateway that signs and the verifiers.

An access token names one selected tenant and the operator's role in it (`tid`, `role`), not
every membership: it stays small, the verifier checks one claim, and a membership removed at
the gateway stops working at the next refresh (access tokens live minutes). An operator who
belongs to several tenants refreshes into another tenant to switch. A platform operator's
token has `role: platform` and no tenant. A service token has `kind: service`, the caller in
`sub` (`service:agent`), the tenant of the work in hand in `tid` and the called service in
`aud`.
"""

from __future__ import annotations

from typing import Final, Literal

ALGORITHM: Final = "EdDSA"
"""Ed25519 signatures (RFC 8037): small keys, fast verification, no parameter choices."""

DEFAULT_ISSUER: Final = "bancone"
"""`iss` of every token: the deployment's identity service (the gateway signs them)."""
OPERATOR_AUDIENCE: Final = "bancone"
"""Audience of operator access tokens: every Bancone service accepts them."""

TokenKind = Literal["operator", "service"]
Role = Literal["viewer", "agent", "admin", "owner"]
PlatformRole = Literal["platform"]

ROLES: Final[tuple[Role, ...]] = ("viewer", "agent", "admin", "owner")
"""Tenant roles from least to most powerful; a role may do what every role before it may."""

_RANK: Final = {role: rank for rank, role in enumerate(ROLES)}

CLAIM_KIND: Final = "kind"
CLAIM_TENANT: Final = "tid"
CLAIM_ROLE: Final = "role"
REQUIRED_CLAIMS: Final = ("sub", "iat", "exp", "jti", "iss", "aud", CLAIM_KIND)


def role_allows(held: str, needed: Role) -> bool:
    """Whether a holder of `held` may act where `needed` is the minimum (unknown roles never)."""
    rank = _RANK.get(held)  # type: ignore[call-overload]
    return rank is not None and rank >= _RANK[needed]


def service_audience(service: str) -> str:
    """The `aud` of a service token for calls to `service` (e.g. `bancone-service:catalog`)."""
    return f"bancone-service:{service}"
