"""The demo shop's products, FAQs and offers read from its file, to judge replies against.

The eval's assistant reads the shop from the catalog process; scoring reads the same file
directly, so a reply is judged against what the shop really holds, whatever the tools found.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from bancone_agent.domain import KnowledgeHit, Product


@dataclass(frozen=True)
class DemoShop:
    products: list[Product]
    faqs: list[KnowledgeHit]
    offers: list[KnowledgeHit]


def load_demo_shop(path: Path) -> DemoShop:
    """Every product (ids are the skus), FAQ and offer of the demo file, as the agent sees them."""
    data = json.loads(path.read_text(encoding="utf-8"))
    products = [
        Product(
            id=p["sku"],
            sku=p["sku"],
            name=p["name"],
            description=p.get("description", ""),
            category=p.get("category", ""),
            price=Decimal(p["price"]),
            currency=p.get("currency", "EUR"),
            stock=int(p.get("stock", 0)),
            attributes=p.get("attributes", {}),
            tags=tuple(p.get("tags", ())),
            active=p.get("active", True),
        )
        for p in data["products"]
    ]
    faqs = [
        KnowledgeHit(
            kind="faq",
            entity_id=f["key"],
            score=0.0,
            title=f["question"],
            text=f["answer"],
            payload={
                "answer": f["answer"],
                "language": f.get("language", "it"),
                "translations": f.get("translations", {}),
            },
        )
        for f in data["faqs"]
    ]
    offers = [
        KnowledgeHit(
            kind="offer",
            entity_id=o["code"],
            score=0.0,
            title=o["title"],
            text=o.get("description", ""),
            payload={**o, "answer": f"{o['title']}: {o.get('description', '')}"},
        )
        for o in data["offers"]
    ]
    return DemoShop(products=products, faqs=faqs, offers=offers)
