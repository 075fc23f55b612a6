"""WhatsApp Cloud API webhook payloads and their normalisation into Bancone events."""

from bancone_contracts.whatsapp.normalise import (
    EVENT_ID_NAMESPACE,
    MESSAGES_FIELD,
    WEBHOOK_OBJECT,
    NormalisedWebhook,
    RejectedItem,
    TenantResolver,
    WhatsAppEvent,
    account_waba_ids,
    message_event_id,
    normalise,
    normalise_webhook,
    parse_webhook,
    phone_number_ids,
    status_event_id,
)
from bancone_contracts.whatsapp.times import unix_time
from bancone_contracts.whatsapp.webhook import WebhookPayload

__all__ = [
    "EVENT_ID_NAMESPACE",
    "MESSAGES_FIELD",
    "WEBHOOK_OBJECT",
    "NormalisedWebhook",
    "RejectedItem",
    "TenantResolver",
    "WebhookPayload",
    "WhatsAppEvent",
    "account_waba_ids",
    "message_event_id",
    "normalise",
    "normalise_webhook",
    "parse_webhook",
    "phone_number_ids",
    "status_event_id",
    "unix_time",
]
