"""One WhatsApp message as an ``InboundMessage``: its sender, context and content.

Kinds Bancone has no model for become ``unsupported`` (never lost); an edit carries the
corrected content plus the wamid it replaces, a revoke the wamid the customer deleted.
"""

from __future__ import annotations

from collections.abc import Iterable

from bancone_contracts.common import normalise_wa_id
from bancone_contracts.events.inbound import (
    ButtonReplyContent,
    ContactAddress,
    ContactEmail,
    ContactName,
    ContactPhone,
    ContactsContent,
    ContactUrl,
    Customer,
    FlowReplyContent,
    InboundContent,
    InboundMessage,
    ListReplyContent,
    LocationContent,
    MediaContent,
    MessageContext,
    MessageEdit,
    MessageIdentity,
    MessageRevoke,
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
from bancone_contracts.whatsapp.statuses import whatsapp_errors
from bancone_contracts.whatsapp.times import optional_unix_time, unix_time
from bancone_contracts.whatsapp.webhook import WaContact, WaMessage, WaSharedContact

MEDIA_TYPES = ("image", "video", "audio", "document", "sticker")


def inbound_message(
    message: WaMessage,
    *,
    phone_number_id: str,
    display_phone_number: str | None,
    waba_id: str,
    contacts: Iterable[WaContact],
) -> InboundMessage:
    """Raises ``ValueError`` (a pydantic ``ValidationError`` included) for an unusable message."""
    contact = _contact_for(contacts, message)
    customer = Customer(
        wa_id=message.from_ or (contact.wa_id if contact else None) or None,
        user_id=message.from_user_id or (contact.user_id if contact else None) or None,
        profile_name=contact.profile.name if contact and contact.profile else None,
    )
    identity = message.identity
    return InboundMessage(
        message_id=message.id,
        phone_number_id=phone_number_id,
        display_phone_number=display_phone_number,
        waba_id=waba_id,
        customer=customer,
        timestamp=unix_time(message.timestamp),
        context=_context(message),
        referral=Referral(**message.referral.model_dump()) if message.referral else None,
        content=_edited_content(message) if message.edit else _content(message),
        identity=MessageIdentity(
            acknowledged=identity.acknowledged,
            created=optional_unix_time(identity.created_timestamp),
            hash=identity.hash,
        )
        if identity
        else None,
        edit=MessageEdit(original_message_id=message.edit.original_message_id)
        if message.edit
        else None,
        revoke=MessageRevoke(original_message_id=message.revoke.original_message_id)
        if message.revoke
        else None,
    )


def _contact_for(contacts: Iterable[WaContact], message: WaMessage) -> WaContact | None:
    sender = normalise_wa_id(message.from_) if message.from_ else None
    for contact in contacts:
        if sender and contact.wa_id and normalise_wa_id(contact.wa_id) == sender:
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


def _edited_content(message: WaMessage) -> InboundContent:
    """The corrected version of an edited message, read like any message of its type."""
    assert message.edit is not None
    if message.edit.message is None:
        return UnsupportedContent(original_type="edit")
    corrected = WaMessage.model_validate(
        {
            "type": "text",
            **message.edit.message,
            "id": message.id,
            "timestamp": message.timestamp,
        }
    )
    return _content(corrected)


def _content(message: WaMessage) -> InboundContent:
    kind = message.type
    if kind == "text" and message.text:
        return TextContent(body=message.text.body)
    if kind in MEDIA_TYPES:
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
                url=media.url,
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
    return UnsupportedContent(
        original_type=original,
        unsupported_type=message.unsupported.type if message.unsupported else None,
        errors=whatsapp_errors(message.errors),
    )


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
    org = contact.org
    return SharedContact(
        name=ContactName(**contact.name.model_dump()),
        phones=tuple(ContactPhone(**p.model_dump()) for p in contact.phones),
        emails=tuple(ContactEmail(**e.model_dump()) for e in contact.emails),
        organization=org.company if org else None,
        department=org.department if org else None,
        title=org.title if org else None,
        urls=tuple(u.url for u in contact.urls if u.url),
        url_entries=tuple(ContactUrl(url=u.url, type=u.type) for u in contact.urls if u.url),
        addresses=tuple(ContactAddress(**a.model_dump()) for a in contact.addresses),
        birthday=contact.birthday,
    )
