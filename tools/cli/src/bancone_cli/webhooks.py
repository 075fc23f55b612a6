"""Meta-shaped WhatsApp webhook payloads, encoded and signed the way Meta sends them.

Shared by `bancone chat`, the sandbox's status callbacks and the e2e tests, so that every
webhook Bancone receives in development has one shape: the one in WHATSAPP.md.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import string
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

SIGNATURE_HEADER = "X-Hub-Signature-256"
DEFAULT_WABA_ID = "100000000000001"
DEFAULT_DISPLAY_PHONE_NUMBER = "15550000000"

StatusName = Literal["sent", "delivered", "read", "failed", "played"]

_ERROR_TITLES: dict[int, str] = {
    131026: "Message undeliverable",
    131047: "Re-engagement message",
    131049: "Meta chose not to deliver",
    131050: "Unable to deliver the message",
    131051: "Unsupported message type",
    131000: "Something went wrong",
}


_WAMID_ALPHABET = string.ascii_letters + string.digits


def new_wamid() -> str:
    """A fresh, unique message id that looks like Meta's `wamid.HBgL…` ids.

    Alphanumeric only, so it is safe in URL paths and query strings.
    """
    return "wamid.HBgL" + "".join(secrets.choice(_WAMID_ALPHABET) for _ in range(40))


def unix_now() -> str:
    """Unix seconds as a string, the way Meta writes every webhook timestamp."""
    return str(int(time.time()))


def encode(payload: Mapping[str, Any]) -> bytes:
    """Serialise like Meta: compact, non-ASCII as `\\uXXXX`, and `/` escaped as `\\/`.

    The escapes make a receiver that re-serialises the JSON before checking the signature
    fail here as it would in production.
    """
    text = json.dumps(payload, ensure_ascii=True, separators=(",", ":"))
    return text.replace("/", "\\/").encode("ascii")


def sign(body: bytes, app_secret: str) -> str:
    """The `X-Hub-Signature-256` header value: `sha256=` + HMAC-SHA256(body) in lowercase hex."""
    digest = hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_body(payload: Mapping[str, Any], app_secret: str) -> tuple[bytes, dict[str, str]]:
    """The exact bytes to POST and the headers (content type and signature) that go with them."""
    body = encode(payload)
    headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, app_secret)}
    return body, headers


@dataclass(frozen=True)
class InboundText:
    """One customer text for a (possibly batched) messages webhook."""

    wa_id: str
    text: str
    name: str = "Cliente Demo"
    wamid: str = field(default_factory=new_wamid)
    timestamp: str = field(default_factory=unix_now)
    context_message_id: str | None = None


def _envelope(
    phone_number_id: str,
    value: dict[str, Any],
    *,
    display_phone_number: str,
    waba_id: str,
) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": waba_id,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": display_phone_number,
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def build_texts_webhook(
    phone_number_id: str,
    messages: Sequence[InboundText],
    *,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
    waba_id: str = DEFAULT_WABA_ID,
) -> dict[str, Any]:
    """One webhook carrying several customer texts (possibly from several customers)."""
    contacts: list[dict[str, Any]] = []
    seen: set[str] = set()
    for message in messages:
        if message.wa_id not in seen:
            seen.add(message.wa_id)
            contacts.append({"profile": {"name": message.name}, "wa_id": message.wa_id})
    items: list[dict[str, Any]] = []
    for message in messages:
        item: dict[str, Any] = {
            "from": message.wa_id,
            "id": message.wamid,
            "timestamp": message.timestamp,
            "text": {"body": message.text},
            "type": "text",
        }
        if message.context_message_id is not None:
            item["context"] = {"from": display_phone_number, "id": message.context_message_id}
        items.append(item)
    return _envelope(
        phone_number_id,
        {"contacts": contacts, "messages": items},
        display_phone_number=display_phone_number,
        waba_id=waba_id,
    )


def build_text_webhook(
    phone_number_id: str,
    wa_id: str,
    text: str,
    name: str = "Cliente Demo",
    wamid: str | None = None,
    *,
    timestamp: str | None = None,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
    waba_id: str = DEFAULT_WABA_ID,
) -> dict[str, Any]:
    """A webhook with one text from one customer, as Meta delivers it."""
    message = InboundText(
        wa_id=wa_id,
        text=text,
        name=name,
        wamid=wamid or new_wamid(),
        timestamp=timestamp or unix_now(),
    )
    return build_texts_webhook(
        phone_number_id, [message], display_phone_number=display_phone_number, waba_id=waba_id
    )


def build_message_webhook(
    phone_number_id: str,
    wa_id: str,
    message: Mapping[str, Any],
    name: str = "Cliente Demo",
    *,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
    waba_id: str = DEFAULT_WABA_ID,
) -> dict[str, Any]:
    """A webhook with one message of any type from one customer: `message` holds the type's
    own fields (`{"type": "interactive", "interactive": {...}}`); `from`, `id` (unless given)
    and `timestamp` are filled in."""
    item = {"from": wa_id, "id": new_wamid(), "timestamp": unix_now(), **message}
    return _envelope(
        phone_number_id,
        {"contacts": [{"profile": {"name": name}, "wa_id": wa_id}], "messages": [item]},
        display_phone_number=display_phone_number,
        waba_id=waba_id,
    )


def button_reply(button_id: str, title: str, *, context_id: str | None = None) -> dict[str, Any]:
    """The fields of a tap on a reply button (for `build_message_webhook`)."""
    message: dict[str, Any] = {
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": button_id, "title": title}},
    }
    if context_id is not None:
        message["context"] = {"from": DEFAULT_DISPLAY_PHONE_NUMBER, "id": context_id}
    return message


def status_item(
    wamid: str,
    recipient_id: str,
    status: StatusName,
    *,
    timestamp: str | None = None,
    conversation_id: str | None = None,
    error_code: int | None = None,
    error_details: str | None = None,
) -> dict[str, Any]:
    """One entry of `value.statuses[]`; sent/delivered carry conversation and PMP pricing."""
    item: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": timestamp or unix_now(),
        "recipient_id": recipient_id,
    }
    if status in ("sent", "delivered"):
        conversation: dict[str, Any] = {
            "id": conversation_id or uuid.uuid5(uuid.NAMESPACE_URL, recipient_id).hex,
            "origin": {"type": "service"},
        }
        if status == "sent":
            conversation["expiration_timestamp"] = str(int(time.time()) + 24 * 3600)
        item["conversation"] = conversation
        item["pricing"] = {
            "billable": False,
            "pricing_model": "PMP",
            "category": "service",
            "type": "free_customer_service",
        }
    if status == "failed":
        code = error_code if error_code is not None else 131026
        title = _ERROR_TITLES.get(code, "Message failed to send")
        item["errors"] = [
            {
                "code": code,
                "title": title,
                "message": title,
                "error_data": {"details": error_details or title},
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
            }
        ]
    return item


def build_status_webhook(
    phone_number_id: str,
    wamid: str,
    recipient_id: str,
    status: StatusName,
    *,
    timestamp: str | None = None,
    conversation_id: str | None = None,
    error_code: int | None = None,
    error_details: str | None = None,
    display_phone_number: str = DEFAULT_DISPLAY_PHONE_NUMBER,
    waba_id: str = DEFAULT_WABA_ID,
) -> dict[str, Any]:
    """A `statuses` webhook for a message we sent (`failed` carries Meta's `errors[]`)."""
    item = status_item(
        wamid,
        recipient_id,
        status,
        timestamp=timestamp,
        conversation_id=conversation_id,
        error_code=error_code,
        error_details=error_details,
    )
    return _envelope(
        phone_number_id,
        {"statuses": [item]},
        display_phone_number=display_phone_number,
        waba_id=waba_id,
    )
