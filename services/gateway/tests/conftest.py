"""Builders of WhatsApp webhook bodies shaped like Meta's, shared by the gateway's tests."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

_counter = itertools.count(1)


class WebhookBuilder:
    """Makes Meta-shaped webhook dicts; ids are unique per call so tests never collide."""

    def wamid(self) -> str:
        return f"wamid.TEST{next(_counter):08d}{id(self) % 10_000:04d}"

    def text(self, wa_id: str, body: str, *, wamid: str | None = None) -> dict[str, Any]:
        return {
            "from": wa_id,
            "id": wamid or self.wamid(),
            "timestamp": "1732600000",
            "type": "text",
            "text": {"body": body},
        }

    def reaction(self, wa_id: str, to_wamid: str) -> dict[str, Any]:
        return {
            "from": wa_id,
            "id": self.wamid(),
            "timestamp": "1732600001",
            "type": "reaction",
            "reaction": {"message_id": to_wamid, "emoji": "\U0001f44d"},
        }

    def status(
        self, recipient: str, status: str = "delivered", *, wamid: str | None = None
    ) -> dict[str, Any]:
        return {
            "id": wamid or self.wamid(),
            "status": status,
            "timestamp": "1732600002",
            "recipient_id": recipient,
        }

    def value(
        self,
        phone_number_id: str,
        *,
        messages: list[dict[str, Any]] | None = None,
        statuses: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        messages = messages or []
        senders = sorted({m["from"] for m in messages if "from" in m})
        value: dict[str, Any] = {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": "390200000000",
                "phone_number_id": phone_number_id,
            },
        }
        if messages:
            value["contacts"] = [
                {"profile": {"name": f"Cliente {s[-2:]}"}, "wa_id": s} for s in senders
            ]
            value["messages"] = messages
        if statuses:
            value["statuses"] = statuses
        return value

    def payload(self, *values: dict[str, Any], waba_id: str = "WABA1") -> dict[str, Any]:
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {"id": waba_id, "changes": [{"field": "messages", "value": v} for v in values]}
            ],
        }

    @staticmethod
    def encode(payload: dict[str, Any]) -> bytes:
        """Bytes as Meta sends them: compact, non-ASCII escaped as \\uXXXX."""
        return json.dumps(payload, ensure_ascii=True, separators=(",", ":")).encode()


@pytest.fixture(scope="session")
def wa() -> WebhookBuilder:
    return WebhookBuilder()
