"""What the identity use cases need, built once by `bootstrap` (tests build their own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_gateway.adapters.login_throttle import LoginThrottle
from bancone_gateway.adapters.password_hashing import PasswordHashing
from bancone_gateway.adapters.signing_keys import SigningKeyStore
from bancone_gateway.adapters.token_issuer import TokenIssuer
from bancone_gateway.domain.service_clients import ServiceClients


@dataclass(frozen=True)
class IdentityDeps:
    sessions: async_sessionmaker[AsyncSession]
    keys: SigningKeyStore
    issuer: TokenIssuer
    hashing: PasswordHashing
    throttle: LoginThrottle
    service_clients: ServiceClients
    refresh_ttl: timedelta
    invite_ttl: timedelta
    reset_ttl: timedelta
    public_base_url: str
    platform_email: str
    platform_password: SecretStr | None
