"""Turn a WhatsApp webhook POST into Bancone events: every message and every status in it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import get_args
from uuid import UUID, uuid5

from bancone_contracts.common import WhatsAppError
from bancone_contracts.events.inbound import (
    ButtonReplyContent,
    ContactEmail,
    ContactName,
    ContactPhone,
    ContactsContent,
    Customer,
    FlowReplyContent,
    InboundContent,
    InboundMessage,
    InboundMessageReceived,
    ListReplyContent,
    LocationContent,
    MediaContent,
    MessageContext,
    OrderContent,
    OrderItem,
    ReactionContent,
    Referral,
    ReferredProduct,
    SharedContact,
    SystemContent,
    TemplateButtonContent,
    TextContent,
    UnsupportedContent,
)
from bancone_contracts.events.status import (
    StatusConversation,
    StatusPricing,
    StatusUpdate,
    WhatsAppStatus,
    WhatsAppStatusUpdated,
)
from bancone_contracts.whatsapp.webhook import (
    WaChangeValue,
    WaContact,
    WaEntry,
    WaError,
    WaMessage,
    WaSharedContact,
    WaStatus,
    WebhookPayload,
)

WEBHOOK_OBJECT = "whatsapp_business_account"
MESSAGES_FIELD = "messages"

EVENT_ID_NAMESPACE = UUID("5d3f0c1e-8a0b-4f9e-9a51-0b2a6c1b7e10")
"""Namespace of event ids derived from WhatsApp ids: a re-published webhook gets the same ids."""

_KNOWN_STATUSES: frozenset[str] = frozenset(get_args(WhatsAppStatus))

TenantResolver = Callable[[str], str | None]
"""Maps a phone_number_id to its tenant id, or None for a number we do not serve."""

WhatsAppEvent = InboundMessageReceived | WhatsAppStatusUpdated


def parse_webhook(raw_body: bytes | str) -> WebhookPayload:
    """Parse a webhook POST body (raises pydantic ``ValidationError`` when it is not one)."""
    return WebhookPayload.model_validate_json(raw_body)


def phone_number_ids(payload: WebhookPayload) -> list[str]:
    """Every business phone_number_id the payload carries messages or statuses for, in order."""
    seen: dict[str, None] = {}
    for _, value in _message_values(payload):
        if value.metadata is not None:
            seen.setdefault(value.metadata.phone_number_id)
    return list(seen)


def message_event_id(wamid: str) -> UUID:
    """The event id of an inbound message: stable per wamid, so consumers dedupe replays."""
    return uuid5(EVENT_ID_NAMESPACE, f"whatsapp.message:{wamid}")


def status_event_id(wamid: str, status: str) -> UUID:
    """The event id of a status: stable per (wamid, status), WhatsApp's dedupe key for statuses."""
    return uuid5(EVENT_ID_NAMESPACE, f"whatsapp.status:{wamid}:{status}")


def normalise(
    payload: WebhookPayload,
    tenant: str | TenantResolver,
    *,
    source: str = "gateway",
    traceparent: str | None = None,
) -> list[WhatsAppEvent]:
    """All messages and statuses of every entry and change, as events, in payload order.

    ``tenant`` is the tenant id, or a resolver from phone_number_id to tenant id; changes for
    a number the resolver does not know (None) are skipped. Statuses WhatsApp may add later
    (not in ``WhatsAppStatus``) are skipped; messages of unknown types become ``unsupported``.
    """
    resolve: TenantResolver = (lambda _: tenant) if isinstance(tenant, str) else tenant
    events: list[WhatsAppEvent] = []
    for entry, value in _message_values(payload):
        if value.metadata is None:
            continue
        tenant_id = resolve(value.metadata.phone_number_id)
        if tenant_id is None:
            continue
        for message in value.messages:
            data = _inbound_message(entry, value, message)
            events.append(
                InboundMessageReceived.new(
                    id=message_event_id(message.id),
                    tenant_id=tenant_id,
                    source=source,
                    traceparent=traceparent,
                    data=data,
                )
            )
        for status in value.statuses:
            if status.status not in _KNOWN_STATUSES:
                continue
            events.append(
                WhatsAppStatusUpdated.new(
                    id=status_event_id(status.id, status.status),
                    tenant_id=tenant_id,
                    source=source,
                    traceparent=traceparent,
                    data=_status_update(value, status),
                )
            )
    return events


def _message_values(payload: WebhookPayload) -> Iterator[tuple[WaEntry, WaChangeValue]]:
    for entry in payload.entry:
        for change in entry.changes:
            if change.field == MESSAGES_FIELD:
                yield entry, change.value


def unix_time(value: str | int) -> datetime:
    """A WhatsApp timestamp (unix seconds, usually as a string) as a UTC datetime."""
    return datetime.fromtimestamp(int(value), UTC)


def _inbound_message(entry: WaEntry, value: WaChangeValue, message: WaMessage) -> InboundMessage:
    assert value.metadata is not None
    contact = _contact_for(value.contacts, message)
    customer = Customer(
        wa_id=message.from_ or (contact.wa_id if contact else None) or None,
        user_id=message.from_user_id or (contact.user_id if contact else None) or None,
        profile_name=contact.profile.name if contact and contact.profile else None,
    )
    return InboundMessage(
        message_id=message.id,
        phone_number_id=value.metadata.phone_number_id,
        display_phone_number=value.metadata.display_phone_number,
        waba_id=entry.id,
        customer=customer,
        timestamp=unix_time(message.timestamp),
        context=_context(message),
        referral=Referral(**message.referral.model_dump()) if message.referral else None,
        content=_content(message),
    )


def _contact_for(contacts: tuple[WaContact, ...], message: WaMessage) -> WaContact | None:
    for contact in contacts:
        if message.from_ and contact.wa_id == message.from_:
            return contact
        if message.from_user_id and contact.user_id == message.from_user_id:
            return contact
    return None


def _context(message: WaMessage) -> MessageContext | None:
    ctx = message.context
    if ctx is None:
        return None
    product = ctx.referred_product
    return MessageContext(
        reply_to_wamid=ctx.id,
        reply_to_from=ctx.from_,
        forwarded=ctx.forwarded,
        frequently_forwarded=ctx.frequently_forwarded,
        referred_product=ReferredProduct(
            catalog_id=product.catalog_id, product_retailer_id=product.product_retailer_id
        )
        if product
        else None,
    )


def _errors(errors: tuple[WaError, ...]) -> tuple[WhatsAppError, ...]:
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


def _content(message: WaMessage) -> InboundContent:
    kind = message.type
    if kind == "text" and message.text:
        return TextContent(body=message.text.body)
    if kind in ("image", "video", "audio", "document", "sticker"):
        media = getattr(message, kind)
        if media is not None:
            return MediaContent(
                media_type=kind,
                media_id=media.id,
                mime_type=media.mime_type,
                sha256=media.sha256,
                caption=media.caption,
                filename=media.filename,
                voice=media.voice,
                animated=media.animated,
            )
    if kind == "location" and message.location:
        loc = message.location
        return LocationContent(
            latitude=loc.latitude,
            longitude=loc.longitude,
            name=loc.name,
            address=loc.address,
            url=loc.url,
        )
    if kind == "contacts" and message.contacts:
        return ContactsContent(contacts=tuple(_shared_contact(c) for c in message.contacts))
    if kind == "interactive" and message.interactive:
        interactive = _interactive(message)
        if interactive is not None:
            return interactive
    if kind == "button" and message.button:
        return TemplateButtonContent(payload=message.button.payload, text=message.button.text)
    if kind == "reaction" and message.reaction:
        return ReactionContent(
            message_id=message.reaction.message_id, emoji=message.reaction.emoji or None
        )
    if kind == "order" and message.order:
        order = message.order
        return OrderContent(
            catalog_id=order.catalog_id,
            text=order.text,
            items=tuple(
                OrderItem(
                    product_retailer_id=i.product_retailer_id,
                    quantity=i.quantity,
                    item_price=i.item_price,
                    currency=i.currency,
                )
                for i in order.product_items
            ),
        )
    if kind == "system" and message.system:
        system = message.system
        return SystemContent(
            system_type=system.type, body=system.body, new_wa_id=system.new_wa_id or system.wa_id
        )
    original = kind
    if kind == "interactive" and message.interactive:
        original = f"interactive.{message.interactive.type}"
    return UnsupportedContent(original_type=original, errors=_errors(message.errors))


def _interactive(
    message: WaMessage,
) -> ButtonReplyContent | ListReplyContent | FlowReplyContent | None:
    interactive = message.interactive
    assert interactive is not None
    if interactive.type == "button_reply" and interactive.button_reply:
        reply = interactive.button_reply
        return ButtonReplyContent(id=reply.id, title=reply.title)
    if interactive.type == "list_reply" and interactive.list_reply:
        row = interactive.list_reply
        return ListReplyContent(id=row.id, title=row.title, description=row.description)
    if interactive.type == "nfm_reply" and interactive.nfm_reply:
        flow = interactive.nfm_reply
        return FlowReplyContent(name=flow.name, body=flow.body, response_json=flow.response_json)
    return None


def _shared_contact(contact: WaSharedContact) -> SharedContact:
    return SharedContact(
        name=ContactName(**contact.name.model_dump()),
        phones=tuple(ContactPhone(**p.model_dump()) for p in contact.phones),
        emails=tuple(ContactEmail(**e.model_dump()) for e in contact.emails),
        organization=contact.org.company if contact.org else None,
        urls=tuple(u.url for u in contact.urls if u.url),
    )


def _status_update(value: WaChangeValue, status: WaStatus) -> StatusUpdate:
    assert value.metadata is not None
    conversation = status.conversation
    pricing = status.pricing
    return StatusUpdate(
        wamid=status.id,
        status=status.status,
        phone_number_id=value.metadata.phone_number_id,
        recipient_id=status.recipient_id or None,
        recipient_user_id=status.recipient_user_id,
        timestamp=unix_time(status.timestamp),
        conversation=StatusConversation(
            id=conversation.id,
            expiration=unix_time(conversation.expiration_timestamp)
            if conversation.expiration_timestamp is not None
            else None,
            origin_type=conversation.origin.type if conversation.origin else None,
        )
        if conversation
        else None,
        pricing=StatusPricing(**pricing.model_dump()) if pricing else None,
        errors=_errors(status.errors),
    )
