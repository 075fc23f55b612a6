"""An in-memory `ShopTools` for tests of assistants: one tenant's products, FAQs and offers,
searched roughly as the catalog searches (any query word in name, category, tags or
attributes; filters exact), every call recorded so a test can assert what a model asked."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bancone_agent.adapters.shop_tools import matching
from bancone_agent.domain import KnowledgeHit, Product, ProductQuery, ToolError
from bancone_agent.domain.text import fold
from services.agent.eval.demo_data import load_demo_shop


@dataclass
class MemoryShopTools:
    products: list[Product] = field(default_factory=list)
    faqs: list[KnowledgeHit] = field(default_factory=list)
    offers: list[KnowledgeHit] = field(default_factory=list)
    down: bool = False
    """Every call raises `ToolError` (the shop's services unreachable)."""
    calls: list[tuple[str, Any]] = field(default_factory=list)

    async def search_products(self, query: ProductQuery) -> list[Product]:
        self._enter("search_products", query)
        found = matching(self.products, query)
        terms = [t for t in fold(query.text).replace("-", " ").split() if len(t) > 2]
        if terms:
            scored = [(sum(t in _text(p) for t in terms), p) for p in found]
            found = [
                p for score, p in sorted(scored, key=lambda sp: (-sp[0], sp[1].price)) if score
            ]
        return found[: query.limit]

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        self._enter("search_knowledge", text)
        terms = {t for t in fold(text).split() if len(t) > 3}
        hits = [h for h in (*self.faqs, *self.offers) if h.kind in kinds]
        scored = [(sum(t in fold(f"{h.title} {h.text}") for t in terms), h) for h in hits]
        return [
            h.model_copy(update={"score": score / max(len(terms), 1)})
            for score, h in sorted(scored, key=lambda sh: -sh[0])
            if score
        ][:5]

    async def get_product(self, product_id: str) -> Product | None:
        self._enter("get_product", product_id)
        return next((p for p in self.products if p.id == product_id and p.active), None)

    async def list_offers(self) -> list[KnowledgeHit]:
        self._enter("list_offers", None)
        return list(self.offers)

    def _enter(self, name: str, argument: Any) -> None:
        self.calls.append((name, argument))
        if self.down:
            raise ToolError(f"{name}: the shop's services are down")


def _text(product: Product) -> str:
    return fold(
        " ".join(
            (
                product.name,
                product.category.replace("-", " "),
                *product.tags,
                *product.attributes.values(),
            )
        )
    )


def demo_shop(path: Path | None = None) -> MemoryShopTools:
    """The demo shop (`deploy/local/demo/enoteca.json`) in memory; ids are the skus (read the
    way the eval reads it, `services/agent/eval/demo_data.py`)."""
    source = path or _repo_root() / "deploy" / "local" / "demo" / "enoteca.json"
    shop = load_demo_shop(source)
    return MemoryShopTools(products=shop.products, faqs=shop.faqs, offers=shop.offers)


def _repo_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "deploy" / "local" / "demo").is_dir():
            return parent
    raise FileNotFoundError("deploy/local/demo not found above " + str(here))
