"""`ShopTools` answering only from what the tools returned this turn (no new request): what
the offline assistant composes from when the model fails (`domain.fallback`)."""

from __future__ import annotations

from collections.abc import Sequence

from bancone_agent.adapters.shop_tools import matching
from bancone_agent.domain.assistant import KnowledgeHit, Product, ProductQuery
from bancone_agent.domain.text import fold
from bancone_agent.domain.tools import Evidence


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
