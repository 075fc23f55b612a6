"""What a conversation remembers between turns: its recent exchanges, the items last shown,
the last product search and the customer's language.

Memory belongs to one conversation of one tenant: whoever stores it keys it by both, and a
turn only ever reads its own conversation's. It is small on purpose (`MAX_EXCHANGES` turns,
the items of the last product list) and serialisable, so it can live in a JSON column.

A conversation that an operator resolved starts afresh once `fresh_after` has passed since its
last turn (`Memory.current`): "il primo" a week later means nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from bancone_agent.domain.cart import Cart

MAX_EXCHANGES = 6
"""Recent exchanges kept; the LLM sees as many of them as its token bound allows."""
DEFAULT_MEMORY_FRESH_AFTER = timedelta(hours=12)
"""A resolved conversation quiet this long starts afresh (`BANCONE_AGENT_MEMORY_FRESH_AFTER_
SECONDS`)."""
MAX_SHOWN = 6
"""Items of the last product list kept for references ("il primo", "the red one")."""


class Exchange(BaseModel):
    """One turn as it was said: the customer's text and the reply."""

    model_config = ConfigDict(frozen=True)

    customer: str
    assistant: str


class ShownItem(BaseModel):
    """A product the assistant showed, in the order shown: what a reference resolves to."""

    model_config = ConfigDict(frozen=True)

    id: str
    sku: str
    name: str
    price: Decimal
    currency: str = "EUR"
    colour: str | None = None
    words: str = ""
    """Its folded name, category, tags and attributes: what "the vegan one" is matched on."""


class LastSearch(BaseModel):
    """The criteria of the last product search, so a follow-up can narrow or change one."""

    model_config = ConfigDict(frozen=True)

    keywords: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    category_words: tuple[str, ...] = ()
    colours: tuple[str, ...] = ()
    min_price: Decimal | None = None
    max_price: Decimal | None = None


class Memory(BaseModel):
    """A conversation's memory as of its last turn."""

    model_config = ConfigDict(frozen=True)

    exchanges: tuple[Exchange, ...] = ()
    shown: tuple[ShownItem, ...] = ()
    search: LastSearch | None = None
    language: str | None = None
    """The customer's language so far (kept unless a message clearly says another)."""
    at: datetime | None = None
    """When the last turn was remembered."""
    cart: Cart | None = None
    """The conversation's cart (`cart.py`); None: never had one."""

    @property
    def empty(self) -> bool:
        return not (self.exchanges or self.shown or self.search)

    def current(self, now: datetime, *, resolved: bool, fresh_after: timedelta) -> Memory:
        """This memory, or a fresh one when the conversation was resolved and has been quiet
        for `fresh_after` (the language is kept: it is still the same customer)."""
        if resolved and self.at is not None and now - self.at >= fresh_after:
            return Memory(language=self.language)
        return self

    def remember(
        self,
        customer: str,
        assistant: str,
        *,
        language: str,
        at: datetime,
        shown: Sequence[ShownItem] | None = None,
        search: LastSearch | None = None,
        cart: Cart | None = None,
    ) -> Memory:
        """The memory after one more turn. `shown`/`search` replace the last ones when the
        turn showed products (None: the turn showed none, the old ones still hold); `cart`
        likewise replaces the cart when the turn changed it."""
        exchanges = (*self.exchanges, Exchange(customer=customer, assistant=assistant))
        return Memory(
            exchanges=exchanges[-MAX_EXCHANGES:],
            shown=tuple(shown[:MAX_SHOWN]) if shown else self.shown,
            search=search if search is not None else self.search,
            language=language,
            at=at,
            cart=cart if cart is not None else self.cart,
        )
