"""The seam every assistant implements: a customer turn and the shop's tools in, a reply out.

The offline assistant (rules, `offline.py`) and the LLM assistant (issue 4) both implement
`Assistant`; the handler neither knows nor cares which one it holds. Tools are bound to one
tenant by whoever builds them, so no assistant, and no prompt, can name another tenant.
"""

from collections.abc import Sequence
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, SkipValidation, model_validator

from bancone_agent.domain.cart import Cart, Quote
from bancone_agent.domain.config import AgentConfig
from bancone_agent.domain.language import DEFAULT_DETECTOR
from bancone_agent.domain.memory import LastSearch, Memory
from bancone_agent.domain.phrases import PHRASEBOOKS
from bancone_agent.domain.run import TurnRun
from bancone_agent.domain.understanding import DEFAULT_READER, Intent, SortOrder, Understanding
from bancone_contracts.events.outbound import ReplyButton


class ContentKind(StrEnum):
    """What the customer sent, named as WhatsApp's message `type` (plus `status`)."""

    TEXT = "text"
    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    STICKER = "sticker"
    LOCATION = "location"
    CONTACTS = "contacts"
    INTERACTIVE = "interactive"
    BUTTON = "button"
    REACTION = "reaction"
    ORDER = "order"
    SYSTEM = "system"
    UNSUPPORTED = "unsupported"
    STATUS = "status"

    @classmethod
    def from_whatsapp(cls, message_type: str) -> "ContentKind":
        """Map a webhook `type`; older payloads say `unknown`, future ones anything."""
        try:
            return cls(message_type)
        except ValueError:
            return cls.UNSUPPORTED

    @classmethod
    def from_inbound(cls, kind: str, media_type: str | None = None) -> "ContentKind":
        """Map an inbound event's content `kind` (bancone.inbound.v1) and its media type."""
        if kind == "media" and media_type:
            return cls.from_whatsapp(media_type)
        return _INBOUND_KINDS.get(kind) or cls.from_whatsapp(kind)


_INBOUND_KINDS = {
    "button_reply": ContentKind.INTERACTIVE,
    "list_reply": ContentKind.INTERACTIVE,
    "nfm_reply": ContentKind.INTERACTIVE,
    "template_button": ContentKind.BUTTON,
}

SILENT_KINDS = frozenset({ContentKind.REACTION, ContentKind.STATUS, ContentKind.SYSTEM})
"""Kinds that never get an answer: replying to a 👍 or a delivery receipt is noise."""


class Turn(BaseModel):
    """One customer turn (its messages folded into `text`), as the assistant needs it.

    The text is understood and the customer's language decided once, when the turn is built
    (`understanding`, `language`): escalation rules, assistants and their fallbacks all read
    them from here instead of reading the text again. Whoever builds a turn may pass them
    (the handler does, reusing what it read per message); else they are computed here.
    """

    model_config = ConfigDict(frozen=True)

    tenant_id: str
    conversation_id: str
    text: str | None
    """The message text, a caption, or a button/list title; None for kinds without text."""
    kind: ContentKind = ContentKind.TEXT
    previous_language: str | None = None
    """The language of this conversation so far: used when the text doesn't tell."""
    shop_name: str
    default_language: str = "it"
    """The shop's language: used when neither the text nor the conversation tells."""
    config: AgentConfig = Field(default_factory=AgentConfig)
    """The tenant's agent configuration (version 0 = built-in defaults)."""
    history: tuple[str, ...] = ()
    """Earlier customer texts folded into this turn (sent while the previous turn ran)."""
    understanding: SkipValidation[Understanding] = Field(
        default_factory=lambda: DEFAULT_READER.read("")
    )
    """What the text asks for (intent, slots), read once per turn."""
    language: str = ""
    """The customer's language: the text's, else the conversation's so far, else the shop's."""
    memory: Memory = Field(default_factory=Memory)
    """This conversation's recent turns, items last shown, last search and cart (`memory.py`)."""
    customer_id: str = ""
    phone_number_id: str = ""
    message_id: str = ""
    """The wamid of the turn's last message (a confirmation tap's is the order's idempotency
    key)."""
    button_id: str | None = None
    """The reply button or list row the last message tapped, if it did."""
    order_items: tuple[tuple[str, int], ...] = ()
    """A WhatsApp `order` message's items: (product_retailer_id = SKU, quantity)."""

    @model_validator(mode="before")
    @classmethod
    def _understood(cls, data: Any) -> Any:
        """Read the text and decide the language when the builder did not."""
        if not isinstance(data, dict):
            return data
        text = data.get("text")
        filled = dict(data)
        if filled.get("understanding") is None:
            filled["understanding"] = DEFAULT_READER.read((text or "").strip())
        memory = filled.get("memory")
        if not filled.get("previous_language") and isinstance(memory, Memory):
            filled["previous_language"] = memory.language
        if not filled.get("language"):
            filled["language"] = DEFAULT_DETECTOR.choose(
                text, filled.get("previous_language"), filled.get("default_language", "it")
            )
        return filled

    @property
    def reply_language(self) -> str:
        """The language to write in: the customer's if there is a phrasebook for it, else the
        shop's, else English."""
        if self.language in PHRASEBOOKS:
            return self.language
        return self.default_language if self.default_language in PHRASEBOOKS else "en"


class Variant(BaseModel):
    """One sellable version of a product ("1,5 l", "2019"), with its own SKU, price and stock."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    sku: str
    label: str
    attributes: dict[str, str] = Field(default_factory=dict)
    price: Decimal
    currency: str = "EUR"
    stock: int = 0
    active: bool = True


class Product(BaseModel):
    """A catalog product as the tools return it: the only source of names, prices and stock."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: str
    sku: str
    name: str
    description: str = ""
    category: str = ""
    price: Decimal
    currency: str = "EUR"
    stock: int = 0
    attributes: dict[str, str] = Field(default_factory=dict)
    tags: tuple[str, ...] = ()
    active: bool = True
    match_score: float | None = None
    """How closely a semantic search matched it (ingest's score); None from keyword search."""
    variants: tuple[Variant, ...] = ()
    """Its variants; a product without any is sold by its own SKU."""

    @property
    def colour(self) -> str | None:
        return self.attributes.get("colour")

    def sellable(self) -> tuple["Product", ...]:
        """What a customer can put in a cart: each active variant as a product of its own
        (named "Barolo 2019 — 1,5 l", with the variant's SKU, price and stock), or the
        product itself when it has no variants."""
        active = [v for v in self.variants if v.active]
        if not active:
            return (self,)
        return tuple(
            self.model_copy(
                update={
                    "sku": v.sku,
                    "name": f"{self.name} — {v.label}",
                    "price": v.price,
                    "currency": v.currency,
                    "stock": v.stock,
                    "attributes": {**self.attributes, **v.attributes},
                    "variants": (),
                }
            )
            for v in active
        )


class ProductQuery(BaseModel):
    """Filters for `ShopTools.search_products`; the tenant is never one of them."""

    model_config = ConfigDict(frozen=True)

    text: str = ""
    category: str | None = None
    colour: str | None = None
    """Canonical colour as catalog attributes spell it: red, white, rose, sparkling."""
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    in_stock_only: bool = False
    sort: SortOrder = SortOrder.RELEVANCE
    limit: int = Field(default=10, ge=1, le=100)


class KnowledgeHit(BaseModel):
    """A FAQ, offer or document passage from knowledge search, shaped like ingest's hits."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    kind: str
    entity_id: str
    score: float
    title: str = ""
    text: str = ""
    payload: dict[str, Any] = Field(default_factory=dict)

    @property
    def answer(self) -> str:
        """What to tell the customer: a FAQ's answer, else the indexed text."""
        answer = self.payload.get("answer")
        return answer if isinstance(answer, str) and answer.strip() else self.text

    @property
    def language(self) -> str | None:
        language = self.payload.get("language")
        return language if isinstance(language, str) else None

    def translated(self, field: str, language: str) -> str | None:
        """The shop's own `language` version of `field` (`payload.translations`), if any."""
        translations = self.payload.get("translations")
        if not isinstance(translations, dict):
            return None
        fields = translations.get(language)
        text = fields.get(field) if isinstance(fields, dict) else None
        return text if isinstance(text, str) and text.strip() else None

    def answer_in(self, language: str) -> str | None:
        """The answer in `language`: the original when written in it, else its translation;
        None when the shop has no text in that language."""
        if self.language in (None, language):
            return self.answer
        return self.translated("answer", language)

    @property
    def citation(self) -> str | None:
        """Where a document passage comes from ("Warranty terms, p. 2"); None for FAQs."""
        citation = self.payload.get("citation")
        return citation if isinstance(citation, str) and citation.strip() else None


class Reply(BaseModel):
    """What the assistant answers, with what it relied on so a guard can check it."""

    model_config = ConfigDict(frozen=True)

    text: str
    language: str
    intent: Intent
    products_cited: tuple[Product, ...] = ()
    knowledge_cited: tuple[KnowledgeHit, ...] = ()
    wants_human: bool = False
    """The customer should be handed to a person (asked for one, or we can't help)."""
    escalation_reason: str | None = None
    """Why, when `wants_human`: customer_request, model, rule, failure, ungrounded."""
    run: TurnRun | None = None
    """What the turn cost and did (tokens, tool calls, guard findings); None = not recorded."""
    search: LastSearch | None = None
    """The product search behind the products cited, for the conversation's memory."""
    buttons: tuple[ReplyButton, ...] = ()
    """Reply buttons sent with the text (the order confirmation); none: a plain text."""
    cart: Cart | None = None
    """The conversation's cart after this turn; None: unchanged."""
    quote: Quote | None = None
    """The catalog's quote the text shows (lines, prices, total): grounds those figures."""

    @property
    def facts(self) -> tuple[str, ...]:
        """The grounded facts behind the text, one line per product or knowledge hit, and the
        quote's lines and total."""
        products = (
            f"{p.name} [{p.sku}]: {p.price} {p.currency}, stock {p.stock}"
            for p in self.products_cited
        )
        quoted = self.quote.facts() if self.quote is not None else ()
        return (*products, *(hit.answer for hit in self.knowledge_cited), *quoted)


class ToolError(Exception):
    """A shop tool could not answer (catalog or knowledge service down after retries)."""


class ShopTools(Protocol):
    """The shop's data, already bound to one tenant by the caller."""

    async def search_products(self, query: ProductQuery) -> list[Product]: ...

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]: ...

    async def get_product(self, product_id: str) -> Product | None:
        """One product of this tenant by id; None when it is not this tenant's (or unknown)."""
        ...

    async def list_offers(self) -> list[KnowledgeHit]:
        """The shop's current offers (kind `offer`, payload as the catalog has it)."""
        ...


class Assistant(Protocol):
    """Answers one customer turn; None means no reply (reactions, statuses)."""

    async def respond(self, turn: Turn, tools: ShopTools) -> Reply | None: ...
