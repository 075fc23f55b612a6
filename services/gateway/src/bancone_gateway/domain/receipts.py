"""Webhook receipts: the atomic dedupe of Meta's redeliveries, on WhatsApp's own keys.

A message is identified by its `wamid`, a status by `(wamid, status)`: `msg:<wamid>` and
`st:<wamid>:<status>`; any other update by its content-derived event id, `upd:<id>`. The event ids the contracts derive from the same keys (uuid5) are
deterministic too, so a retried webhook that slips past this table still carries the ids the
consumers' inboxes already hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bancone_contracts.events import (
    InboundMessageReceived,
    WhatsAppStatusUpdated,
    WhatsAppUpdateReceived,
)
from bancone_contracts.whatsapp import WhatsAppEvent

ReceiptKind = Literal["message", "status", "update"]

MIN_RETENTION_DAYS = 7
"""Meta retries a failed delivery for up to about seven days: receipts must outlive that."""


@dataclass(frozen=True)
class Receipt:
    """One event of a webhook, with the key that makes it unique."""

    dedupe_key: str
    kind: ReceiptKind
    event: WhatsAppEvent


def message_dedupe_key(wamid: str) -> str:
    return f"msg:{wamid}"


def status_dedupe_key(wamid: str, status: str) -> str:
    return f"st:{wamid}:{status}"


def receipt_for(event: WhatsAppEvent) -> Receipt:
    if isinstance(event, InboundMessageReceived):
        return Receipt(message_dedupe_key(event.data.message_id), "message", event)
    if isinstance(event, WhatsAppUpdateReceived):
        # the contracts derive the id from the item itself (a stable hash of what Meta sent)
        return Receipt(f"upd:{event.id}", "update", event)
    assert isinstance(event, WhatsAppStatusUpdated)
    return Receipt(status_dedupe_key(event.data.wamid, event.data.status), "status", event)


def receipts_for(events: list[WhatsAppEvent]) -> list[Receipt]:
    """One receipt per distinct key, in payload order (a key repeated in one POST counts once)."""
    unique: dict[str, Receipt] = {}
    for event in events:
        receipt = receipt_for(event)
        unique.setdefault(receipt.dedupe_key, receipt)
    return list(unique.values())
