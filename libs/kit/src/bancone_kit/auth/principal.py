"""Who is asking: the verified identity a route acts for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bancone_kit.auth.claims import TokenKind


@dataclass(frozen=True, slots=True)
class Principal:
    """An operator (with the role held in `tenant_id`) or a service acting for `tenant_id`.

    `tenant_id` is None only for a platform operator (`role == "platform"`).
    """

    kind: TokenKind
    subject: str
    """The operator id, or `service:<name>` for a service."""
    tenant_id: str | None
    role: str | None
    token_id: str
    expires_at: datetime

    @property
    def is_platform(self) -> bool:
        return self.kind == "operator" and self.role == "platform"

    @property
    def is_service(self) -> bool:
        return self.kind == "service"
