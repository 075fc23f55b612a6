"""The WhatsApp Cloud API webhook POST body, as Meta sends it.

These models describe Meta's format, not ours: unknown fields are ignored because Meta adds
fields without notice, and almost everything is optional. ``normalise`` turns them into events.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field


class MetaModel(BaseModel):
    """Base of Meta's shapes: immutable, tolerant of fields we do not know."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class WaErrorData(MetaModel):
    details: str | None = None


class WaError(MetaModel):
    code: int
    title: str | None = None
    message: str | None = None
    error_data: WaErrorData | None = None
    href: str | None = None


class WaMetadata(MetaModel):
    display_phone_number: str | None = None
    phone_number_id: str


class WaProfile(MetaModel):
    name: str | None = None


class WaContact(MetaModel):
    profile: WaProfile | None = None
    wa_id: str | None = None
    user_id: str | None = None


class WaText(MetaModel):
    body: str


class WaMedia(MetaModel):
    id: str
    mime_type: str | None = None
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    voice: bool = False
    animated: bool = False


class WaLocation(MetaModel):
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None
    url: str | None = None


class WaContactName(MetaModel):
    formatted_name: str | None = None
    first_name: str | None = None
    last_name: str | None = None


class WaContactPhone(MetaModel):
    phone: str | None = None
    type: str | None = None
    wa_id: str | None = None


class WaContactEmail(MetaModel):
    email: str | None = None
    type: str | None = None


class WaContactOrg(MetaModel):
    company: str | None = None


class WaContactUrl(MetaModel):
    url: str | None = None


class WaSharedContact(MetaModel):
    name: WaContactName = Field(default_factory=WaContactName)
    phones: tuple[WaContactPhone, ...] = ()
    emails: tuple[WaContactEmail, ...] = ()
    org: WaContactOrg | None = None
    urls: tuple[WaContactUrl, ...] = ()


class WaButtonReply(MetaModel):
    id: str
    title: str


class WaListReply(MetaModel):
    id: str
    title: str
    description: str | None = None


class WaFlowReply(MetaModel):
    name: str | None = None
    body: str | None = None
    response_json: str


class WaInteractive(MetaModel):
    type: str
    button_reply: WaButtonReply | None = None
    list_reply: WaListReply | None = None
    nfm_reply: WaFlowReply | None = None


class WaButton(MetaModel):
    payload: str | None = None
    text: str


class WaReaction(MetaModel):
    message_id: str
    emoji: str | None = None


class WaProductItem(MetaModel):
    product_retailer_id: str
    quantity: int
    item_price: Decimal
    currency: str


class WaOrder(MetaModel):
    catalog_id: str
    text: str | None = None
    product_items: tuple[WaProductItem, ...] = ()


class WaSystem(MetaModel):
    body: str | None = None
    type: str | None = None
    new_wa_id: str | None = None
    wa_id: str | None = None


class WaReferredProduct(MetaModel):
    catalog_id: str
    product_retailer_id: str


class WaContext(MetaModel):
    from_: str | None = Field(default=None, alias="from")
    id: str | None = None
    forwarded: bool = False
    frequently_forwarded: bool = False
    referred_product: WaReferredProduct | None = None


class WaReferral(MetaModel):
    source_url: str | None = None
    source_id: str | None = None
    source_type: str | None = None
    headline: str | None = None
    body: str | None = None
    media_type: str | None = None
    image_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    ctwa_clid: str | None = None


class WaMessage(MetaModel):
    """One inbound message: common fields plus a body object named after ``type``."""

    from_: str | None = Field(default=None, alias="from")
    from_user_id: str | None = None
    id: str
    timestamp: str | int
    type: str
    context: WaContext | None = None
    referral: WaReferral | None = None
    text: WaText | None = None
    image: WaMedia | None = None
    video: WaMedia | None = None
    audio: WaMedia | None = None
    document: WaMedia | None = None
    sticker: WaMedia | None = None
    location: WaLocation | None = None
    contacts: tuple[WaSharedContact, ...] | None = None
    interactive: WaInteractive | None = None
    button: WaButton | None = None
    reaction: WaReaction | None = None
    order: WaOrder | None = None
    system: WaSystem | None = None
    errors: tuple[WaError, ...] = ()


class WaConversationOrigin(MetaModel):
    type: str | None = None


class WaConversation(MetaModel):
    id: str
    expiration_timestamp: str | int | None = None
    origin: WaConversationOrigin | None = None


class WaPricing(MetaModel):
    billable: bool | None = None
    pricing_model: str | None = None
    type: str | None = None
    category: str | None = None


class WaStatus(MetaModel):
    """A status of a message the business sent."""

    id: str
    status: str
    timestamp: str | int
    recipient_id: str | None = None
    recipient_user_id: str | None = None
    conversation: WaConversation | None = None
    pricing: WaPricing | None = None
    errors: tuple[WaError, ...] = ()


class WaChangeValue(MetaModel):
    """The ``value`` of a change; for ``field == "messages"`` it holds messages and statuses."""

    messaging_product: str | None = None
    metadata: WaMetadata | None = None
    contacts: tuple[WaContact, ...] = ()
    messages: tuple[WaMessage, ...] = ()
    statuses: tuple[WaStatus, ...] = ()
    errors: tuple[WaError, ...] = ()


class WaChange(MetaModel):
    field: str
    value: WaChangeValue = Field(default_factory=WaChangeValue)


class WaEntry(MetaModel):
    id: str = Field(description="The WhatsApp Business Account id.")
    changes: tuple[WaChange, ...] = ()


class WebhookPayload(MetaModel):
    """A whole webhook POST: possibly several entries, changes, messages and statuses."""

    object: str
    entry: tuple[WaEntry, ...] = ()
