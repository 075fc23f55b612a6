"""One WhatsApp status (of a message we sent) as a ``StatusUpdate``."""

from __future__ import annotations

from bancone_contracts.common import WhatsAppError
from bancone_contracts.events.status import StatusConversation, StatusPricing, StatusUpdate
from bancone_contracts.whatsapp.times import optional_unix_time, unix_time
from bancone_contracts.whatsapp.webhook import WaError, WaStatus


def whatsapp_errors(errors: tuple[WaError, ...]) -> tuple[WhatsAppError, ...]:
    """Meta's error objects in our shape (``error_data.details`` flattened)."""
    return tuple(
        WhatsAppError(
            code=e.code,
            title=e.title,
            message=e.message,
            details=e.error_data.details if e.error_data else None,
            href=e.href,
        )
        for e in errors
    )


def status_update(phone_number_id: str, status: WaStatus) -> StatusUpdate:
    """Raises ``ValueError`` (a pydantic ``ValidationError`` included) for an unusable status."""
    conversation = status.conversation
    pricing = status.pricing
    return StatusUpdate(
        wamid=status.id,
        status=status.status,
        phone_number_id=phone_number_id,
        recipient_id=status.recipient_id or None,
        recipient_user_id=status.recipient_user_id,
        timestamp=unix_time(status.timestamp),
        conversation=StatusConversation(
            id=conversation.id,
            expiration=optional_unix_time(conversation.expiration_timestamp),
            origin_type=conversation.origin.type if conversation.origin else None,
        )
        if conversation
        else None,
        pricing=StatusPricing(**pricing.model_dump()) if pricing else None,
        errors=whatsapp_errors(status.errors),
        biz_opaque_callback_data=status.biz_opaque_callback_data,
    )
