"""``bancone.outbound.v1``: a message to send to a customer, written by the AI or an operator.

WhatsApp's length limits are validated here so a reply that WhatsApp would refuse is rejected
when it is built, not minutes later as a failed send.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal, Self
from uuid import UUID, uuid4

from pydantic import Field, model_validator

from bancone_contracts import topics
from bancone_contracts.common import ContractModel
from bancone_contracts.envelope import Envelope

TEXT_BODY_MAX = 4096
INTERACTIVE_BODY_MAX = 1024
HEADER_FOOTER_MAX = 60
BUTTONS_MAX = 3
BUTTON_ID_MAX = 256
BUTTON_TITLE_MAX = 20
LIST_BUTTON_MAX = 20
LIST_SECTIONS_MAX = 10
LIST_ROWS_MAX = 10
ROW_ID_MAX = 200
ROW_TITLE_MAX = 24
ROW_DESCRIPTION_MAX = 72
SECTION_TITLE_MAX = 24
CAPTION_MAX = 1024


class OutboundText(ContractModel):
    """Plain text; links get a preview when ``preview_url`` is set."""

    kind: Literal["text"] = "text"
    body: str = Field(min_length=1, max_length=TEXT_BODY_MAX, examples=["Sì, da 18,50 €/kg."])
    preview_url: bool = False


class ReplyButton(ContractModel):
    id: str = Field(min_length=1, max_length=BUTTON_ID_MAX, examples=["order:confirm"])
    title: str = Field(min_length=1, max_length=BUTTON_TITLE_MAX, examples=["Confermo"])


class OutboundButtons(ContractModel):
    """Text with one to three reply buttons."""

    kind: Literal["buttons"] = "buttons"
    body: str = Field(min_length=1, max_length=INTERACTIVE_BODY_MAX)
    header: str | None = Field(default=None, max_length=HEADER_FOOTER_MAX)
    footer: str | None = Field(default=None, max_length=HEADER_FOOTER_MAX)
    buttons: tuple[ReplyButton, ...] = Field(min_length=1, max_length=BUTTONS_MAX)

    @model_validator(mode="after")
    def _unique_buttons(self) -> Self:
        _require_unique([b.id for b in self.buttons], "button ids")
        _require_unique([b.title for b in self.buttons], "button titles")
        return self


class ListRow(ContractModel):
    id: str = Field(min_length=1, max_length=ROW_ID_MAX, examples=["product:42"])
    title: str = Field(min_length=1, max_length=ROW_TITLE_MAX, examples=["Espresso 1 kg"])
    description: str | None = Field(default=None, max_length=ROW_DESCRIPTION_MAX)


class ListSection(ContractModel):
    title: str | None = Field(default=None, max_length=SECTION_TITLE_MAX)
    rows: tuple[ListRow, ...] = Field(min_length=1, max_length=LIST_ROWS_MAX)


class OutboundList(ContractModel):
    """Text with a button that opens a list of up to ten rows in up to ten sections."""

    kind: Literal["list"] = "list"
    body: str = Field(min_length=1, max_length=INTERACTIVE_BODY_MAX)
    header: str | None = Field(default=None, max_length=HEADER_FOOTER_MAX)
    footer: str | None = Field(default=None, max_length=HEADER_FOOTER_MAX)
    button: str = Field(min_length=1, max_length=LIST_BUTTON_MAX, examples=["Vedi prodotti"])
    sections: tuple[ListSection, ...] = Field(min_length=1, max_length=LIST_SECTIONS_MAX)

    @model_validator(mode="after")
    def _rows_within_limits(self) -> Self:
        rows = [row for section in self.sections for row in section.rows]
        if len(rows) > LIST_ROWS_MAX:
            raise ValueError(f"a list holds at most {LIST_ROWS_MAX} rows in total")
        _require_unique([row.id for row in rows], "row ids")
        if len(self.sections) > 1 and any(not s.title for s in self.sections):
            raise ValueError("every section needs a title when there are several")
        return self


class TemplateParameter(ContractModel):
    """One value substituted into a template: text, a button payload, or a media link."""

    type: Literal["text", "payload", "image", "document", "video"] = "text"
    value: str = Field(min_length=1, examples=["Giulia"])


class TemplateComponent(ContractModel):
    type: Literal["header", "body", "button"]
    sub_type: Literal["quick_reply", "url", "copy_code"] | None = None
    index: int | None = Field(default=None, ge=0, description="Button position (buttons only).")
    parameters: tuple[TemplateParameter, ...] = ()

    @model_validator(mode="after")
    def _buttons_are_addressed(self) -> Self:
        if self.type == "button" and (self.sub_type is None or self.index is None):
            raise ValueError("a button component needs sub_type and index")
        return self


TemplateCategory = Literal["marketing", "utility", "authentication"]


class OutboundTemplate(ContractModel):
    """An approved template: the only thing that may be sent outside the 24-hour window."""

    kind: Literal["template"] = "template"
    name: str = Field(min_length=1, examples=["order_ready"])
    language_code: str = Field(min_length=2, examples=["it", "en_US"])
    components: tuple[TemplateComponent, ...] = ()
    category: TemplateCategory | None = Field(
        default=None,
        description="The template's category as approved by Meta. The notifier refuses a "
        "marketing template to an opted-out customer; an absent category counts as marketing "
        "there (fail closed).",
        examples=["marketing", "utility"],
    )


class OutboundMedia(ContractModel):
    """An image, video, audio, document or sticker, by public link or uploaded media id."""

    kind: Literal["media"] = "media"
    media_type: Literal["image", "video", "audio", "document", "sticker"]
    link: str | None = None
    media_id: str | None = None
    caption: str | None = Field(default=None, max_length=CAPTION_MAX)
    filename: str | None = None

    @model_validator(mode="after")
    def _one_source_and_fitting_extras(self) -> Self:
        if (self.link is None) == (self.media_id is None):
            raise ValueError("give exactly one of link and media_id")
        if self.caption is not None and self.media_type not in ("image", "video", "document"):
            raise ValueError("only images, videos and documents take a caption")
        if self.filename is not None and self.media_type != "document":
            raise ValueError("only documents take a filename")
        return self


class OutboundReaction(ContractModel):
    """React to a customer's message; an empty emoji removes our reaction."""

    kind: Literal["reaction"] = "reaction"
    message_id: str = Field(min_length=1, description="wamid of the message to react to.")
    emoji: str = Field(default="", max_length=16, examples=["👍"])


OutboundContent = Annotated[
    OutboundText
    | OutboundButtons
    | OutboundList
    | OutboundTemplate
    | OutboundMedia
    | OutboundReaction,
    Field(discriminator="kind"),
]


class OutboundMessage(ContractModel):
    """A message to send from a business number to one customer."""

    outbound_id: UUID = Field(
        default_factory=uuid4,
        description="Our id of this message: the notifier sends each outbound_id once.",
    )
    customer_id: str = Field(min_length=1, description="The customer (wa_id or user id).")
    to: str | None = Field(
        default=None, min_length=1, description="Recipient wa_id.", examples=["393331234567"]
    )
    to_user_id: str | None = Field(
        default=None,
        min_length=1,
        description="Recipient business-scoped user id, for customers without a wa_id (2026).",
    )
    phone_number_id: str = Field(min_length=1, description="The business number to send from.")
    conversation_id: str | None = None
    reply_to: str | None = Field(default=None, description="wamid to quote (context.message_id).")
    sender: Literal["ai", "human"]
    operator_id: str | None = Field(default=None, description="The operator, when human.")
    content: OutboundContent

    @model_validator(mode="after")
    def _has_recipient(self) -> Self:
        if not (self.to or self.to_user_id):
            raise ValueError("give the recipient as to (wa_id) or to_user_id")
        if self.sender == "human" and not self.operator_id:
            raise ValueError("a human-sent message names its operator_id")
        return self


class OutboundMessageRequested(Envelope[OutboundMessage]):
    """The agent or an operator wants a message delivered to a customer."""

    topic: ClassVar[str] = topics.OUTBOUND
    type: Literal["outbound.message.requested"] = "outbound.message.requested"
    version: Literal[1] = 1

    @classmethod
    def subject_for(cls, tenant_id: str, data: OutboundMessage) -> str:
        return topics.conversation_key(tenant_id, data.customer_id)


def _require_unique(values: list[str], what: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} must be unique")
