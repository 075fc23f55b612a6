"""The send-message bodies Meta accepts, with the limits from WHATSAPP.md.

Validation failures become Graph errors: a missing field is 131008, a bad value 131009.
Unknown extra fields are ignored, as the sandbox checks what Bancone relies on, not all of Meta.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bancone_sandbox.errors import GraphError

MessageType = Literal[
    "text",
    "image",
    "video",
    "audio",
    "document",
    "sticker",
    "location",
    "contacts",
    "interactive",
    "template",
    "reaction",
]


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TextBody(_Part):
    body: str = Field(min_length=1, max_length=4096)
    preview_url: bool = False


class MediaBody(_Part):
    id: str | None = None
    link: str | None = None
    caption: str | None = Field(default=None, max_length=1024)
    filename: str | None = None

    @model_validator(mode="after")
    def _id_or_link(self) -> MediaBody:
        if not self.id and not self.link:
            raise PydanticCustomError("missing", "Either id or link is required")
        return self


class LocationBody(_Part):
    latitude: float
    longitude: float
    name: str | None = None
    address: str | None = None


class ReactionBody(_Part):
    message_id: str = Field(min_length=1)
    emoji: str = ""


class TemplateLanguage(_Part):
    code: str = Field(min_length=2)


class TemplateBody(_Part):
    name: str = Field(min_length=1, max_length=512)
    language: TemplateLanguage
    components: list[dict[str, Any]] = Field(default_factory=list)


class TextLine(_Part):
    text: str = Field(min_length=1, max_length=60)


class InteractiveHeader(_Part):
    type: Literal["text", "image", "video", "document"]
    text: str | None = Field(default=None, max_length=60)


class ButtonReply(_Part):
    id: str = Field(min_length=1, max_length=256)
    title: str = Field(min_length=1, max_length=20)


class Button(_Part):
    type: Literal["reply"]
    reply: ButtonReply


class ButtonAction(_Part):
    buttons: list[Button] = Field(min_length=1, max_length=3)

    @model_validator(mode="after")
    def _unique(self) -> ButtonAction:
        ids = [b.reply.id for b in self.buttons]
        titles = [b.reply.title for b in self.buttons]
        if len(set(ids)) != len(ids) or len(set(titles)) != len(titles):
            raise PydanticCustomError("value_error", "Button ids and titles must be unique")
        return self


class ButtonBodyText(_Part):
    text: str = Field(min_length=1, max_length=1024)


class ButtonInteractive(_Part):
    type: Literal["button"]
    header: InteractiveHeader | None = None
    body: ButtonBodyText
    footer: TextLine | None = None
    action: ButtonAction


class ListRow(_Part):
    id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=24)
    description: str | None = Field(default=None, max_length=72)


class ListSection(_Part):
    title: str | None = Field(default=None, max_length=24)
    rows: list[ListRow] = Field(min_length=1)


class ListAction(_Part):
    button: str = Field(min_length=1, max_length=20)
    sections: list[ListSection] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def _limits(self) -> ListAction:
        rows = [row for section in self.sections for row in section.rows]
        if len(rows) > 10:
            raise PydanticCustomError("value_error", "A list holds at most 10 rows in total")
        if len({row.id for row in rows}) != len(rows):
            raise PydanticCustomError("value_error", "Row ids must be unique")
        if len(self.sections) > 1 and any(not s.title for s in self.sections):
            raise PydanticCustomError("missing", "Every section needs a title when there are many")
        return self


class ListBodyText(_Part):
    text: str = Field(min_length=1, max_length=4096)


class ListInteractive(_Part):
    type: Literal["list"]
    header: InteractiveHeader | None = None
    body: ListBodyText
    footer: TextLine | None = None
    action: ListAction


class OtherInteractive(_Part):
    """cta_url, flow, product, product_list, …: accepted with a minimal check."""

    type: Literal[
        "cta_url", "flow", "product", "product_list", "catalog_message", "location_request_message"
    ]
    action: dict[str, Any]


def _interactive_tag(value: Any) -> str:
    kind = value.get("type") if isinstance(value, dict) else getattr(value, "type", None)
    return kind if kind in ("button", "list") else "other"


Interactive = Annotated[
    Annotated[ButtonInteractive, Tag("button")]
    | Annotated[ListInteractive, Tag("list")]
    | Annotated[OtherInteractive, Tag("other")],
    Discriminator(_interactive_tag),
]


class Context(_Part):
    message_id: str = Field(min_length=1)


class SendMessage(_Part):
    """`POST /{version}/{phone_number_id}/messages` with a message to deliver."""

    messaging_product: Literal["whatsapp"]
    recipient_type: Literal["individual", "group"] = "individual"
    to: str = Field(pattern=r"^\+?[0-9][0-9 ()-]{3,30}$")
    type: MessageType = "text"
    context: Context | None = None
    text: TextBody | None = None
    image: MediaBody | None = None
    video: MediaBody | None = None
    audio: MediaBody | None = None
    document: MediaBody | None = None
    sticker: MediaBody | None = None
    location: LocationBody | None = None
    contacts: list[dict[str, Any]] | None = Field(default=None, min_length=1)
    interactive: Interactive | None = None
    template: TemplateBody | None = None
    reaction: ReactionBody | None = None

    @model_validator(mode="after")
    def _body_for_type(self) -> SendMessage:
        if getattr(self, self.type) is None:
            raise PydanticCustomError(
                "missing", "Parameter '{field}' is required", {"field": self.type}
            )
        return self

    @property
    def wa_id(self) -> str:
        """The recipient as Meta echoes it back: digits only."""
        return re.sub(r"\D", "", self.to)


class TypingIndicator(_Part):
    type: Literal["text"]


class MarkRead(_Part):
    """The same endpoint, used to mark an inbound message read (and maybe show typing)."""

    messaging_product: Literal["whatsapp"]
    status: Literal["read"]
    message_id: str = Field(min_length=1)
    typing_indicator: TypingIndicator | None = None


_TAGS = {"button", "list", "other"}


def _location(loc: tuple[int | str, ...]) -> str:
    parts = [
        p for i, p in enumerate(loc) if not (i == 1 and loc[0] == "interactive" and p in _TAGS)
    ]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _graph_error(error: ValidationError) -> GraphError:
    first = error.errors(include_url=False)[0]
    where = _location(tuple(first["loc"]))
    message = str(first["msg"])
    if first["type"] == "missing" and message == "Field required":
        return GraphError(400, 131008, details=f"Parameter '{where}' is required")
    details = f"{where}: {message}" if where else message
    return GraphError(400, 131008 if first["type"] == "missing" else 131009, details=details)


def parse_send_body(payload: Any) -> SendMessage | MarkRead:
    """Validate a JSON body into a send or a mark-as-read, or raise the matching GraphError."""
    if not isinstance(payload, dict):
        raise GraphError(400, 100, details="The request body must be a JSON object")
    try:
        if "status" in payload:
            return MarkRead.model_validate(payload)
        return SendMessage.model_validate(payload)
    except ValidationError as error:
        raise _graph_error(error) from error
