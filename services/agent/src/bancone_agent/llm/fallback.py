"""When the model fails or cannot be grounded: the offline assistant answers instead.

It composes from what the tools returned this turn (`RecordedShopTools`) when there is any,
else from the shop's live tools. If its answer cites nothing where facts were needed (or it
did not understand the question the model was asked), nothing grounded can be said: the
customer gets the holding message and the conversation goes to a person.
"""

from __future__ import annotations

from collections.abc import Sequence

from bancone_agent.adapters.shop_tools import matching
from bancone_agent.domain import (
    Intent,
    KnowledgeHit,
    OfflineAssistant,
    Product,
    ProductQuery,
    Reply,
    ShopTools,
    ToolError,
    Turn,
)
from bancone_agent.domain.text import fold
from bancone_agent.domain.understanding import PRODUCT_INTENTS
from bancone_agent.llm.tools import Evidence

FACT_INTENTS = PRODUCT_INTENTS | {Intent.FAQ, Intent.OFFERS, Intent.UNKNOWN}
"""Intents whose answer needs a fact; an answer to one that cites none is not grounded."""


class RecordedShopTools:
    """`ShopTools` answering only from this turn's tool results (no new request)."""

    def __init__(self, evidence: Evidence) -> None:
        self._evidence = evidence

    async def search_products(self, query: ProductQuery) -> list[Product]:
        found = matching(self._evidence.products.values(), query)
        terms = [t for t in fold(query.text).split() if len(t) > 2]
        if terms:
            named = [p for p in found if any(t in _product_text(p) for t in terms)]
            found = named or found
        return found[: query.limit]

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        return [hit for hit in self._evidence.knowledge if hit.kind in kinds]

    async def get_product(self, product_id: str) -> Product | None:
        return self._evidence.products.get(product_id)

    async def list_offers(self) -> list[KnowledgeHit]:
        return [hit for hit in self._evidence.knowledge if hit.kind == "offer"]


def _product_text(product: Product) -> str:
    return fold(
        " ".join((product.name, product.category, *product.tags, *product.attributes.values()))
    )


def grounded_answer(reply: Reply) -> bool:
    """Whether an offline reply says something true and useful without escalating."""
    if reply.wants_human:
        return False
    if reply.intent in FACT_INTENTS:
        return bool(reply.products_cited or reply.knowledge_cited)
    return True


async def offline_answer(
    offline: OfflineAssistant, turn: Turn, live: ShopTools, evidence: Evidence
) -> tuple[Reply | None, bool]:
    """The offline assistant's reply from the recorded results, else from the live tools,
    and whether the live tools failed; None when neither gives a grounded answer."""
    sources: list[ShopTools] = [] if evidence.empty else [RecordedShopTools(evidence)]
    sources.append(live)
    tools_failed = False
    for tools in sources:
        try:
            reply = await offline.respond(turn, tools)
        except ToolError:
            tools_failed = True
            continue
        if reply is not None and grounded_answer(reply):
            return reply, tools_failed
        if reply is not None and reply.wants_human and reply.intent is not Intent.HUMAN_REQUEST:
            tools_failed = True  # the offline assistant met a ToolError and said so
    return None, tools_failed
