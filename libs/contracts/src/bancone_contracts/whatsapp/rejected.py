"""What a webhook POST became: the events to publish, and the items set aside with why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import ValidationError

from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.status import WhatsAppStatusUpdated
from bancone_contracts.events.whatsapp_update import WhatsAppUpdateReceived

WhatsAppEvent = InboundMessageReceived | WhatsAppStatusUpdated | WhatsAppUpdateReceived

_MAX_ERROR_LENGTH = 500

RejectedKind = Literal["message", "status", "update", "change"]


@dataclass(frozen=True)
class RejectedItem:
    """A message, status or whole change that could not be normalised, kept to be seen and
    replayed: the JSON exactly as Meta sent it, and why (field locations, never values)."""

    field: str
    kind: RejectedKind
    raw: Any
    error: str
    waba_id: str
    phone_number_id: str | None = None
    tenant_id: str | None = None


@dataclass(frozen=True)
class NormalisedWebhook:
    """What one POST became: events to publish, and the items set aside."""

    events: list[WhatsAppEvent] = field(default_factory=list)
    rejected: list[RejectedItem] = field(default_factory=list)


def describe(error: Exception) -> str:
    """Why an item was set aside: field locations and messages, never the values themselves."""
    if isinstance(error, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in e['loc']) or '(item)'}: {e['msg']}"
            for e in error.errors(include_url=False, include_input=False)
        ]
        text = "; ".join(parts)
    else:
        text = str(error)
    return text[:_MAX_ERROR_LENGTH]
