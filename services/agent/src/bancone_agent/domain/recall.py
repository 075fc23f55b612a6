"""A turn into the conversation's memory: what was said, what was shown, what was searched."""

from __future__ import annotations

from datetime import datetime

from bancone_agent.domain.assistant import Product, Reply, Turn
from bancone_agent.domain.memory import Memory, ShownItem
from bancone_agent.domain.text import fold


def shown_item(product: Product) -> ShownItem:
    keywords = (
        product.name,
        product.category.replace("-", " "),
        *product.tags,
        *product.attributes.values(),
    )
    return ShownItem(
        id=product.id,
        sku=product.sku,
        name=product.name,
        price=product.price,
        currency=product.currency,
        colour=product.colour,
        words=fold(" ".join(keywords)),
    )


def remember_turn(turn: Turn, reply: Reply | None, at: datetime) -> Memory:
    """The conversation's memory once `reply` answered `turn` (no reply: the turn's text only).

    The items shown are the products the reply cited, in its order; a reply citing none keeps
    the previous list, so "il primo" still means the first item after a FAQ in between.
    """
    said = reply.text if reply is not None else ""
    shown = [shown_item(p) for p in reply.products_cited] if reply is not None else []
    return turn.memory.remember(
        turn.text or "",
        said,
        language=turn.language,
        at=at,
        shown=shown or None,
        search=reply.search if reply is not None else None,
        cart=reply.cart if reply is not None else None,
    )
