"""Operator and service identity for every service: verify the gateway's JWTs locally.

The gateway signs short-lived access tokens (operators) and service tokens (service-to-service
calls) with Ed25519 keys it publishes at `/.well-known/jwks.json`. A service builds one
`TokenVerifier` over an `HttpJwks` (`bancone_kit.http.auth.install_token_verifier`, from the
`jwks_url` setting), stores it on `app.state.token_verifier`, and guards every route with one
of the role guards of `bancone_kit.http.auth` (built on `dependencies.require_role`).
"""

from bancone_kit.auth.claims import ROLES, Role, role_allows
from bancone_kit.auth.jwks import HttpJwks, JwksCache, StaticJwks
from bancone_kit.auth.principal import Principal
from bancone_kit.auth.verifier import InvalidTokenError, TokenVerifier

__all__ = [
    "ROLES",
    "HttpJwks",
    "InvalidTokenError",
    "JwksCache",
    "Principal",
    "Role",
    "StaticJwks",
    "TokenVerifier",
    "role_allows",
]
