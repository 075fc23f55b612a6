"""The WhatsApp Cloud API webhook POST body, as Meta sends it.

These models describe Meta's format, not ours: unknown fields are ignored because Meta adds
fields without notice, and almost everything is optional. ``normalise`` turns them into events.

Only the envelope (``object``, ``entry[]``, ``changes[]``) is parsed for the whole POST: a
change's ``value`` stays raw JSON, and each message and status in it is validated on its own,
so one item Meta sends incomplete is set aside without losing the rest of the batch.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

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
    url: str | None = None


class WaLocation(MetaModel):
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None
    url: str | None = None


class WaContactName(MetaModel):
    formatted_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    prefix: str | None = None
    suffix: str | None = None


class WaContactPhone(MetaModel):
    phone: str | None = None
    type: str | None = None
    wa_id: str | None = None


class WaContactEmail(MetaModel):
    email: str | None = None
    type: str | None = None


class WaContactOrg(MetaModel):
    company: str | None = None
    department: str | None = None
    title: str | None = None


class WaContactUrl(MetaModel):
    url: str | None = None
    type: str | None = None


class WaContactAddress(MetaModel):
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    type: str | None = None


class WaSharedContact(MetaModel):
    name: WaContactName = Field(default_factory=WaContactName)
    phones: tuple[WaContactPhone, ...] = ()
    emails: tuple[WaContactEmail, ...] = ()
    org: WaContactOrg | None = None
    urls: tuple[WaContactUrl, ...] = ()
    addresses: tuple[WaContactAddress, ...] = ()
    birthday: str | None = None


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


class WaWelcomeMessage(MetaModel):
    text: str | None = None


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
    welcome_message: WaWelcomeMessage | None = None


class WaIdentity(MetaModel):
    """The customer's security identity, sent when identity-change checks are on."""

    acknowledged: bool | None = None
    created_timestamp: str | int | None = None
    hash: str | None = None


class WaUnsupported(MetaModel):
    """What an ``unsupported`` message really was (e.g. on numbers shared with the Business app)."""

    type: str | None = None


class WaEdit(MetaModel):
    """The customer corrected an earlier message; ``message`` is its new body, as a message."""

    original_message_id: str
    message: dict[str, Any] | None = None


class WaRevoke(MetaModel):
    """The customer deleted an earlier message."""

    original_message_id: str


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
    unsupported: WaUnsupported | None = None
    edit: WaEdit | None = None
    revoke: WaRevoke | None = None
    identity: WaIdentity | None = None
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
    biz_opaque_callback_data: str | None = None
    errors: tuple[WaError, ...] = ()


class WaChangeValue(MetaModel):
    """The ``value`` of a ``messages`` change: metadata, contacts, and the raw items.

    ``messages``, ``statuses`` and ``contacts`` stay raw JSON here: each is validated alone
    (``WaMessage``, ``WaStatus``, ``WaContact``) so a bad one cannot sink its neighbours.
    """

    messaging_product: str | None = None
    metadata: WaMetadata | None = None
    contacts: tuple[Any, ...] = ()
    messages: tuple[Any, ...] = ()
    statuses: tuple[Any, ...] = ()
    message_echoes: tuple[Any, ...] = ()


class WaChange(MetaModel):
    field: str
    value: dict[str, Any] = Field(default_factory=dict)


class WaEntry(MetaModel):
    id: str = Field(description="The WhatsApp Business Account id.")
    changes: tuple[WaChange, ...] = ()


class WebhookPayload(MetaModel):
    """A whole webhook POST: possibly several entries, changes, messages and statuses."""

    object: str
    entry: tuple[WaEntry, ...] = ()
