"""Webhook fields other than ``messages`` as ``WhatsAppUpdateReceived`` events.

``smb_message_echoes`` and ``user_preferences`` name a business number (routed like messages);
template and account fields name only the WhatsApp Business Account (``entry.id``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID, uuid5

from pydantic import Field

from bancone_contracts.events.whatsapp_update import (
    AccountNotice,
    BusinessEcho,
    MarketingPreference,
    WhatsAppUpdate,
    WhatsAppUpdateData,
    WhatsAppUpdateReceived,
)
from bancone_contracts.whatsapp.times import optional_unix_time, unix_time
from bancone_contracts.whatsapp.webhook import MetaModel, WaText

ECHOES_FIELD = "smb_message_echoes"
PREFERENCES_FIELD = "user_preferences"
ACCOUNT_FIELDS = frozenset(
    {
        "message_template_status_update",
        "message_template_quality_update",
        "account_update",
        "phone_number_quality_update",
    }
)
NUMBER_FIELDS = frozenset({ECHOES_FIELD, PREFERENCES_FIELD})
"""Fields whose ``value.metadata.phone_number_id`` routes them, like ``messages``."""

_NAMESPACE = UUID("0f6f7a52-3c1e-4f43-9d2b-52d1b0a7c6e1")


class WaEcho(MetaModel):
    id: str
    to: str
    timestamp: str | int
    type: str
    text: WaText | None = None


class WaUserPreference(MetaModel):
    wa_id: str
    category: str
    value: str
    detail: str | None = None
    timestamp: str | int | None = None


class WaAccountValue(MetaModel):
    event: str | None = None
    display_phone_number: str | None = None
    phone_number: str | None = None
    message_template_id: str | int | None = None
    message_template_name: str | None = None
    message_template_language: str | None = None
    reason: str | None = None
    new_quality_score: str | None = None
    previous_quality_score: str | None = None
    current_limit: str | None = None
    extra: dict[str, Any] = Field(default_factory=dict)


def update_event_id(field: str, raw: Any) -> UUID:
    """Stable per item: Meta's redelivery of the same update gets the same event id."""
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return uuid5(_NAMESPACE, f"whatsapp.update:{field}:{digest}")


def echo(phone_number_id: str, raw: Any) -> BusinessEcho:
    """Raises ``ValueError`` for an unusable echo."""
    item = WaEcho.model_validate(raw)
    caption = None
    body = raw.get(item.type) if isinstance(raw, dict) else None
    if isinstance(body, dict) and isinstance(body.get("caption"), str):
        caption = body["caption"]
    return BusinessEcho(
        message_id=item.id,
        phone_number_id=phone_number_id,
        customer_wa_id=item.to,
        timestamp=unix_time(item.timestamp),
        message_type=item.type,
        text=item.text.body if item.text else caption,
    )


def preference(phone_number_id: str, raw: Any) -> MarketingPreference:
    """Raises ``ValueError`` for an unusable preference."""
    item = WaUserPreference.model_validate(raw)
    return MarketingPreference(
        phone_number_id=phone_number_id,
        customer_wa_id=item.wa_id,
        category=item.category,
        value=item.value,
        detail=item.detail,
        timestamp=optional_unix_time(item.timestamp),
    )


def account_notice(field: str, waba_id: str, raw: dict[str, Any]) -> AccountNotice:
    """Raises ``ValueError`` for an unusable notice."""
    value = WaAccountValue.model_validate(raw)
    template_id = value.message_template_id
    return AccountNotice(
        field=field,
        waba_id=waba_id,
        event=value.event,
        display_phone_number=value.display_phone_number or value.phone_number,
        template_id=str(template_id) if template_id is not None else None,
        template_name=value.message_template_name,
        template_language=value.message_template_language,
        reason=value.reason,
        quality_score=value.new_quality_score,
        previous_quality_score=value.previous_quality_score,
        current_limit=value.current_limit,
    )


def update_event(
    tenant_id: str,
    field: str,
    raw: Any,
    update: WhatsAppUpdate,
    *,
    source: str,
    traceparent: str | None,
) -> WhatsAppUpdateReceived:
    return WhatsAppUpdateReceived.new(
        id=update_event_id(field, raw),
        tenant_id=tenant_id,
        source=source,
        traceparent=traceparent,
        data=WhatsAppUpdateData(update=update),
    )
