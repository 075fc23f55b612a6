"""The payment provider's in-memory world: payment links, their one `paid` notice, and every
callback attempt (what tests assert on). One event loop: no locks, a restart forgets all."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

LinkStatus = Literal["open", "paid"]


@dataclass
class CallbackAttempt:
    """One POST of a notice to the link's `callback_url`: its answer or the network error."""

    attempt: int
    at: datetime
    status_code: int | None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def as_json(self) -> dict[str, Any]:
        return {
            "attempt": self.attempt,
            "at": self.at.isoformat(),
            "status_code": self.status_code,
            "error": self.error,
            "delivered": self.delivered,
        }


@dataclass
class PaymentLinkRecord:
    """A payment page for one (tenant, reference); paid at most once."""

    id: str
    tenant_id: str
    reference: str
    amount: Decimal
    currency: str
    description: str
    callback_url: str
    url: str
    created_at: datetime
    status: LinkStatus = "open"
    paid_at: datetime | None = None
    event_id: str | None = None
    notice: bytes | None = field(default=None, repr=False)
    """The exact JSON bytes of the `paid` notice: every retry sends the same body."""
    attempts: list[CallbackAttempt] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "tenant_id": self.tenant_id,
            "reference": self.reference,
            "amount": str(self.amount),
            "currency": self.currency,
            "description": self.description,
            "callback_url": self.callback_url,
            "url": self.url,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "paid_at": self.paid_at.isoformat() if self.paid_at else None,
            "event_id": self.event_id,
            "callback_delivered": any(a.delivered for a in self.attempts),
            "attempts": [a.as_json() for a in self.attempts],
        }


@dataclass
class PaymentsState:
    links: dict[str, PaymentLinkRecord] = field(default_factory=dict)
    by_reference: dict[tuple[str, str], str] = field(default_factory=dict)

    def find(self, tenant_id: str, reference: str) -> PaymentLinkRecord | None:
        link_id = self.by_reference.get((tenant_id, reference))
        return self.links.get(link_id) if link_id is not None else None

    def add(self, link: PaymentLinkRecord) -> None:
        self.links[link.id] = link
        self.by_reference[(link.tenant_id, link.reference)] = link.id


def new_link_id() -> str:
    return f"pl_{secrets.token_hex(12)}"


def new_event_id() -> str:
    return f"evt_{secrets.token_hex(12)}"
