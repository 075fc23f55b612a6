"""Which services may ask the gateway for service tokens, and with which secret.

Configured as one secret string `name:secret[,name:secret...]`, e.g. `agent:3kq...`.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

_NAME = re.compile(r"[a-z][a-z0-9-]{1,30}")
MIN_SECRET_LENGTH = 24


class ServiceClientsError(ValueError):
    pass


@dataclass(frozen=True)
class ServiceClients:
    secrets: Mapping[str, str] = field(repr=False)

    @classmethod
    def parse(cls, spec: str, *, min_secret_length: int = MIN_SECRET_LENGTH) -> ServiceClients:
        found: dict[str, str] = {}
        for entry in (part.strip() for part in spec.split(",")):
            if not entry:
                continue
            name, sep, secret = entry.partition(":")
            if not sep or not _NAME.fullmatch(name) or name in found:
                raise ServiceClientsError("each entry must be 'name:secret' with a unique name")
            if len(secret) < min_secret_length:
                raise ServiceClientsError(
                    f"the secret of {name!r} must be at least {min_secret_length} characters"
                )
            found[name] = secret
        return cls(MappingProxyType(found))

    def authenticate(self, name: str, secret: str) -> bool:
        """Constant-time check; an unknown name costs the same as a wrong secret."""
        expected = self.secrets.get(name, "")
        ok = hmac.compare_digest(expected.encode(), secret.encode())
        return ok and name in self.secrets
