"""The offline assistant's tests' shop: a small catalogue, FAQs and offers in memory
(`FakeShopTools`), and how they ask (`turn`, `ask`) and read prices back."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from bancone_agent.domain import (
    KnowledgeHit,
    OfflineAssistant,
    Product,
    ProductQuery,
    Reply,
    ToolError,
    Turn,
)
from bancone_agent.domain.text import fold, words

SHOP = "Enoteca Bancone"


def wine(n: int, name: str, colour: str, price: str, stock: int, category: str) -> Product:
    return Product(
        id=f"p{n}",
        sku=f"SKU-{n:03d}",
        name=name,
        category=category,
        price=Decimal(price),
        stock=stock,
        attributes={"colour": colour, "region": "Italia"},
        tags=("vino", "wine"),
    )


CATALOG = [
    wine(1, "Chianti Classico DOCG", "red", "14.50", 7, "vino-rosso"),
    wine(2, "Barolo DOCG 2019", "red", "42.00", 3, "vino-rosso"),
    wine(3, "Montepulciano d'Abruzzo", "red", "8.90", 12, "vino-rosso"),
    wine(4, "Nero d'Avola Sicilia", "red", "11.00", 0, "vino-rosso"),
    wine(5, "Vermentino di Gallura", "white", "16.00", 5, "vino-bianco"),
    wine(6, "Pinot Grigio delle Venezie", "white", "9.50", 20, "vino-bianco"),
    wine(7, "Prosecco Superiore Valdobbiadene", "sparkling", "13.90", 8, "spumante"),
    wine(8, "Franciacorta Brut", "sparkling", "29.00", 2, "spumante"),
    wine(9, "Cerasuolo d'Abruzzo", "rose", "10.50", 4, "vino-rosato"),
    Product(
        id="p10",
        sku="SKU-010",
        name="Parmigiano Reggiano 24 mesi",
        description="Stagionato 24 mesi, pezzo da 1 kg",
        category="formaggi",
        price=Decimal("27.50"),
        stock=6,
        tags=("formaggio", "cheese", "queso"),
    ),
    Product(
        id="p11",
        sku="SKU-011",
        name="Olio extravergine toscano",
        category="olio",
        price=Decimal("18.00"),
        stock=9,
        tags=("oil", "aceite"),
    ),
]

FAQS = [
    KnowledgeHit(
        kind="faq",
        entity_id="shipping-it",
        score=0.0,
        title="Spedite all'estero?",
        text="Spediamo in tutta l'Unione Europea in 3-5 giorni lavorativi.",
        payload={"language": "it", "tags": ["spedite", "spedizione", "ship", "envios"]},
    ),
    KnowledgeHit(
        kind="faq",
        entity_id="shipping-en",
        score=0.0,
        title="Do you ship abroad?",
        text="We ship across the EU and to the UK within 3-5 working days.",
        payload={"language": "en", "tags": ["ship", "shipping", "london"]},
    ),
    KnowledgeHit(
        kind="faq",
        entity_id="hours-it",
        score=0.0,
        title="Orari",
        text="Orari",
        payload={
            "language": "it",
            "answer": "Siamo aperti dal martedì al sabato, 9:30-13:00 e 16:00-19:30.",
            "tags": ["orari", "aperti", "abren", "hours"],
        },
    ),
]


TODAY = date(2026, 12, 1)


def offer(
    code: str,
    title: str,
    description: str,
    percent: str,
    skus: Sequence[str] = (),
    valid_from: str | None = None,
    valid_until: str | None = None,
) -> KnowledgeHit:
    """An offer as `HttpShopTools.list_offers` returns it: the catalog's fields in the payload."""
    return KnowledgeHit(
        kind="offer",
        entity_id=code.lower(),
        score=0.0,
        title=title,
        text=description,
        payload={
            "code": code,
            "title": title,
            "description": description,
            "discount_percent": percent,
            "product_skus": list(skus),
            "valid_from": valid_from,
            "valid_until": valid_until,
            "answer": f"{title}: {description}",
        },
    )


OFFERS = [
    offer(
        "TOSCANA",
        "Degustazione Toscana",
        "Chianti e olio toscano: 10% di sconto su ciascuno.",
        "10.00",
        ("SKU-001", "SKU-011"),
    ),
    offer(
        "NATALE",
        "Natale: bollicine",
        "Per le feste, 12,5% di sconto sulle bollicine.",
        "12.50",
        ("SKU-007", "SKU-008"),
        valid_from="2026-11-15",
        valid_until="2027-01-06",
    ),
]


class FakeShopTools:
    """An in-memory shop. `sloppy` ignores filters, like a vector search would."""

    def __init__(
        self,
        products: Sequence[Product] = CATALOG,
        faqs: Sequence[KnowledgeHit] = FAQS,
        *,
        sloppy: bool = False,
        broken: bool = False,
        scripted_hits: Sequence[KnowledgeHit] | None = None,
        offers: Sequence[KnowledgeHit] = (),
    ) -> None:
        self.products = list(products)
        self.faqs = list(faqs)
        self.offers = list(offers)
        self.offer_lists = 0
        self.sloppy = sloppy
        self.broken = broken
        self.scripted_hits = scripted_hits
        self.product_queries: list[ProductQuery] = []
        self.knowledge_queries: list[tuple[str, tuple[str, ...]]] = []

    async def search_products(self, query: ProductQuery) -> list[Product]:
        self.product_queries.append(query)
        if self.broken:
            raise ToolError("catalog unavailable")
        if self.sloppy:
            return list(self.products)
        return [p for p in self.products if self._matches(p, query)][: query.limit]

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        self.knowledge_queries.append((text, tuple(kinds)))
        if self.broken:
            raise ToolError("knowledge unavailable")
        if self.scripted_hits is not None:
            return list(self.scripted_hits)
        asked = set(words(fold(text)))
        hits = [
            hit.model_copy(update={"score": 0.9 if asked & set(hit.payload["tags"]) else 0.1})
            for hit in self.faqs
            if hit.kind in kinds
        ]
        return sorted(hits, key=lambda h: h.score, reverse=True)

    async def get_product(self, product_id: str) -> Product | None:
        return next((p for p in self.products if p.id == product_id), None)

    async def list_offers(self) -> list[KnowledgeHit]:
        self.offer_lists += 1
        if self.broken:
            raise ToolError("catalog unavailable")
        return list(self.offers)

    @staticmethod
    def _matches(p: Product, q: ProductQuery) -> bool:
        if q.category and p.category != q.category:
            return False
        if q.colour and p.colour != q.colour:
            return False
        if q.max_price is not None and p.price > q.max_price:
            return False
        if q.min_price is not None and p.price < q.min_price:
            return False
        if q.in_stock_only and p.stock <= 0:
            return False
        haystack = fold(" ".join((p.sku, p.name, p.description, p.category, *p.tags)))
        return not q.text or any(_term(word) in haystack for word in q.text.split())


def _term(word: str) -> str:
    """A query word as the fake matches it: a code whole, a word by its first letters."""
    folded = fold(word)
    return folded if any(ch.isdigit() for ch in folded) else folded[:5]


def turn(text: str | None, **overrides: object) -> Turn:
    fields: dict[str, object] = {
        "tenant_id": "demo",
        "conversation_id": "c1",
        "text": text,
        "shop_name": SHOP,
        "default_language": "it",
    }
    fields.update(overrides)
    return Turn.model_validate(fields)


async def ask(text: str | None, tools: FakeShopTools | None = None, **overrides: object) -> Reply:
    assistant = OfflineAssistant(today=lambda: TODAY)
    reply = await assistant.respond(turn(text, **overrides), tools or FakeShopTools())
    assert reply is not None
    return reply


PRICE = re.compile(r"[€£$]\s?(\d+(?:[.,]\d{3})*[.,]\d{2})")


def prices_in(text: str) -> list[Decimal]:
    """Every money amount written in a reply, read back as a Decimal."""
    return [Decimal(p.replace(".", "").replace(",", ".")) for p in PRICE.findall(text)]


def en_prices_in(text: str) -> list[Decimal]:
    return [Decimal(p.replace(",", "")) for p in PRICE.findall(text)]
