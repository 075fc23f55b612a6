"""``bancone.inbound.v1``: a message a customer sent to a business, normalised from WhatsApp."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, ClassVar, Literal, Self

from pydantic import Field, model_validator

from bancone_contracts import topics
from bancone_contracts.common import (
    ContractModel,
    UtcDatetime,
    WaId,
    WhatsAppError,
    customer_id_of,
)
from bancone_contracts.envelope import Envelope


class Customer(ContractModel):
    """Who wrote: phone-based ``wa_id`` and/or business-scoped ``user_id`` (from 2026)."""

    wa_id: WaId | None = Field(
        default=None,
        description="WhatsApp id: phone number digits, without '+' (normalised).",
        examples=["393331234567"],
    )
    user_id: str | None = Field(
        default=None, description="Business-scoped user id, when sent.", examples=["IT.1234567890"]
    )
    profile_name: str | None = Field(default=None, examples=["Giulia"])

    @model_validator(mode="after")
    def _has_identity(self) -> Self:
        customer_id_of(self.wa_id, self.user_id)
        return self

    @property
    def customer_id(self) -> str:
        """The identity used in partition keys: wa_id, else user_id."""
        return customer_id_of(self.wa_id, self.user_id)


class ReferredProduct(ContractModel):
    """The catalogue product a customer asked about (product enquiry)."""

    catalog_id: str = Field(examples=["1234567890"])
    product_retailer_id: str = Field(examples=["SKU-ESPRESSO-1KG"])


class MessageContext(ContractModel):
    """Where the message came from: a reply, a forward, or a product enquiry."""

    reply_to_wamid: str | None = Field(
        default=None, description="wamid of the message this one replies to (context.id)."
    )
    reply_to_from: str | None = Field(
        default=None, description="Sender of the replied-to message (context.from)."
    )
    forwarded: bool = False
    frequently_forwarded: bool = False
    referred_product: ReferredProduct | None = None


class ReferralWelcomeMessage(ContractModel):
    text: str | None = Field(default=None, examples=["Ciao! Come possiamo aiutarti?"])


class Referral(ContractModel):
    """A click-to-WhatsApp ad or post that started the conversation."""

    source_url: str | None = Field(default=None, examples=["https://fb.me/abc123"])
    source_id: str | None = Field(default=None, examples=["120208000000000"])
    source_type: str | None = Field(default=None, examples=["ad", "post"])
    headline: str | None = None
    body: str | None = None
    media_type: str | None = Field(default=None, examples=["image", "video"])
    image_url: str | None = None
    video_url: str | None = None
    thumbnail_url: str | None = None
    ctwa_clid: str | None = Field(default=None, description="Click-to-WhatsApp click id.")
    welcome_message: ReferralWelcomeMessage | None = Field(
        default=None, description="The greeting the ad showed the customer before they wrote."
    )


class TextContent(ContractModel):
    kind: Literal["text"] = "text"
    body: str = Field(examples=["Avete il caffè in grani?"])


class MediaContent(ContractModel):
    """An image, video, audio, document or sticker; the bytes are fetched by ``media_id``."""

    kind: Literal["media"] = "media"
    media_type: Literal["image", "video", "audio", "document", "sticker"]
    media_id: str = Field(description="WhatsApp media id (expires after 7 days).")
    mime_type: str | None = Field(default=None, examples=["image/jpeg"])
    sha256: str | None = None
    caption: str | None = None
    filename: str | None = None
    voice: bool = Field(default=False, description="An audio recorded as a voice note.")
    animated: bool = Field(default=False, description="An animated sticker.")
    url: str | None = Field(
        default=None, description="Download URL when WhatsApp sends one (needs the token)."
    )


class LocationContent(ContractModel):
    kind: Literal["location"] = "location"
    latitude: float = Field(examples=[45.4642])
    longitude: float = Field(examples=[9.19])
    name: str | None = None
    address: str | None = None
    url: str | None = None


class ContactName(ContractModel):
    formatted_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    prefix: str | None = None
    suffix: str | None = None


class ContactPhone(ContractModel):
    phone: str | None = None
    type: str | None = None
    wa_id: str | None = None


class ContactEmail(ContractModel):
    email: str | None = None
    type: str | None = None


class ContactAddress(ContractModel):
    street: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    type: str | None = Field(default=None, examples=["HOME", "WORK"])


class ContactUrl(ContractModel):
    url: str
    type: str | None = Field(default=None, examples=["WORK"])


class SharedContact(ContractModel):
    """A contact card the customer shared (vCard-like), every field WhatsApp sends."""

    name: ContactName
    phones: tuple[ContactPhone, ...] = ()
    emails: tuple[ContactEmail, ...] = ()
    organization: str | None = None
    department: str | None = None
    title: str | None = Field(default=None, description="Job title at the organization.")
    urls: tuple[str, ...] = ()
    url_entries: tuple[ContactUrl, ...] = Field(
        default=(), description="The urls with their type (``urls`` keeps only the addresses)."
    )
    addresses: tuple[ContactAddress, ...] = ()
    birthday: str | None = Field(default=None, examples=["1980-05-17"])


class ContactsContent(ContractModel):
    kind: Literal["contacts"] = "contacts"
    contacts: tuple[SharedContact, ...]


class ButtonReplyContent(ContractModel):
    """A tap on one of our reply buttons."""

    kind: Literal["button_reply"] = "button_reply"
    id: str = Field(description="The id we gave the button.")
    title: str


class ListReplyContent(ContractModel):
    """A row picked from one of our list messages."""

    kind: Literal["list_reply"] = "list_reply"
    id: str = Field(description="The id we gave the row.")
    title: str
    description: str | None = None


class FlowReplyContent(ContractModel):
    """A WhatsApp Flow submission (interactive ``nfm_reply``)."""

    kind: Literal["nfm_reply"] = "nfm_reply"
    name: str | None = Field(default=None, examples=["flow"])
    body: str | None = Field(default=None, examples=["Sent"])
    response_json: str = Field(description="The flow's answers, a JSON document as a string.")


class TemplateButtonContent(ContractModel):
    """A tap on a quick-reply button of a template we sent."""

    kind: Literal["template_button"] = "template_button"
    payload: str | None = None
    text: str


class ReactionContent(ContractModel):
    """An emoji reaction to a message; an absent or empty emoji means it was removed."""

    kind: Literal["reaction"] = "reaction"
    message_id: str = Field(description="wamid of the message reacted to.")
    emoji: str | None = Field(default=None, examples=["👍"])

    @property
    def removed(self) -> bool:
        return not self.emoji


class OrderItem(ContractModel):
    product_retailer_id: str = Field(examples=["SKU-ESPRESSO-1KG"])
    quantity: int = Field(ge=0, examples=[2])
    item_price: Decimal = Field(description="Unit price, a decimal string.", examples=["18.50"])
    currency: str = Field(examples=["EUR"])


class OrderContent(ContractModel):
    """A cart sent from the WhatsApp catalogue."""

    kind: Literal["order"] = "order"
    catalog_id: str
    text: str | None = None
    items: tuple[OrderItem, ...]


class SystemContent(ContractModel):
    """A system notice, e.g. the customer changed number."""

    kind: Literal["system"] = "system"
    system_type: str | None = Field(default=None, examples=["user_changed_number"])
    body: str | None = None
    new_wa_id: WaId | None = None


class UnsupportedContent(ContractModel):
    """A message Bancone cannot read (WhatsApp ``unsupported``/``unknown``, or a new type)."""

    kind: Literal["unsupported"] = "unsupported"
    original_type: str = Field(description="WhatsApp's message type.", examples=["unsupported"])
    unsupported_type: str | None = Field(
        default=None,
        description="What an ``unsupported`` message really was (``unsupported.type``).",
        examples=["edit", "poll"],
    )
    errors: tuple[WhatsAppError, ...] = ()


InboundContent = Annotated[
    TextContent
    | MediaContent
    | LocationContent
    | ContactsContent
    | ButtonReplyContent
    | ListReplyContent
    | FlowReplyContent
    | TemplateButtonContent
    | ReactionContent
    | OrderContent
    | SystemContent
    | UnsupportedContent,
    Field(discriminator="kind"),
]


class MessageIdentity(ContractModel):
    """The customer's WhatsApp security identity (sent when identity-change checks are on)."""

    acknowledged: bool | None = None
    created: UtcDatetime | None = None
    hash: str | None = None


class MessageEdit(ContractModel):
    """This message corrects an earlier one: ``content`` is the new version of it."""

    original_message_id: str = Field(description="wamid of the message the customer edited.")


class MessageRevoke(ContractModel):
    """The customer deleted an earlier message: do not answer it if not answered yet."""

    original_message_id: str = Field(description="wamid of the message the customer deleted.")


InboundKind = Literal["message", "edit", "revoke"]


class InboundMessage(ContractModel):
    """One customer message as WhatsApp delivered it, independent of its webhook batch."""

    message_id: str = Field(
        description="The WhatsApp message id (wamid): globally unique, the dedupe key.",
        examples=["wamid.HBgMMzkzMzMxMjM0NTY3FQIAEhggQUJDREVG"],
    )
    phone_number_id: str = Field(description="The business number that received it.")
    display_phone_number: str | None = Field(default=None, examples=["390212345678"])
    waba_id: str | None = Field(default=None, description="WhatsApp Business Account id.")
    customer: Customer
    timestamp: UtcDatetime = Field(description="When WhatsApp received the message (UTC).")
    context: MessageContext | None = None
    referral: Referral | None = None
    content: InboundContent
    identity: MessageIdentity | None = None
    edit: MessageEdit | None = Field(
        default=None,
        description="Set when the customer corrected an earlier message; ``content`` is the "
        "corrected version (readers that ignore this field see it as a new message).",
    )
    revoke: MessageRevoke | None = Field(
        default=None,
        description="Set when the customer deleted an earlier message; ``content`` is then "
        "``unsupported`` with ``original_type`` ``revoke``.",
    )

    @property
    def kind(self) -> InboundKind:
        """A new message, a correction of an earlier one, or the deletion of one."""
        if self.revoke is not None:
            return "revoke"
        if self.edit is not None:
            return "edit"
        return "message"


class InboundMessageReceived(Envelope[InboundMessage]):
    """A customer wrote to a business on WhatsApp."""

    topic: ClassVar[str] = topics.INBOUND
    type: Literal["inbound.message.received"] = "inbound.message.received"
    version: Literal[1] = 1

    @classmethod
    def subject_for(cls, tenant_id: str, data: InboundMessage) -> str:
        return topics.conversation_key(tenant_id, data.customer.customer_id)
