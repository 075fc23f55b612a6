"""Test helpers: catalog events as the catalog publishes them, and an in-memory index.

Test-only code: it lives beside the ingest service's tests, not in its package, and the tests
import it as `services.ingest.tests.support` (see docs/architecture.md, "Test helpers").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from bancone_contracts.common import Money
from bancone_contracts.events.catalog import (
    CatalogChange,
    CatalogEntityChanged,
    EntityKind,
    FaqSnapshot,
    ProductSnapshot,
    StockLevel,
)
from bancone_ingest.domain import EmbeddedText, Hit, IndexDocument, Kind, SearchQuery, stock_payload

T0 = datetime(2025, 11, 28, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    """A fixed point in time, `seconds` after T0: events in tests carry explicit times."""
    return T0 + timedelta(seconds=seconds)


def new_tenant(prefix: str = "shop") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def product_upserted(
    tenant_id: str,
    entity_id: str,
    *,
    name: str,
    price: str = "10.00",
    description: str = "",
    category: str = "vino-rosso",
    stock: int = 10,
    attributes: dict[str, str] | None = None,
    active: bool = True,
    time: datetime | None = None,
) -> CatalogEntityChanged:
    snapshot = ProductSnapshot(
        name=name,
        description=description or None,
        category=category,
        price=Money(amount=Decimal(price), currency="EUR"),
        in_stock=stock > 0,
        stock_quantity=stock,
        attributes=attributes if attributes is not None else {"colour": "red"},
        active=active,
    )
    change = CatalogChange(
        entity_kind="product", entity_id=entity_id, op="upserted", snapshot=snapshot
    )
    return _event(tenant_id, change, time)


def faq_upserted(
    tenant_id: str,
    entity_id: str,
    *,
    question: str,
    answer: str,
    language: str = "it",
    time: datetime | None = None,
) -> CatalogEntityChanged:
    snapshot = FaqSnapshot(question=question, answer=answer, language=language)
    change = CatalogChange(entity_kind="faq", entity_id=entity_id, op="upserted", snapshot=snapshot)
    return _event(tenant_id, change, time)


def stock_changed(
    tenant_id: str,
    entity_id: str,
    quantity: int,
    *,
    sku: str | None = None,
    time: datetime | None = None,
) -> CatalogEntityChanged:
    level = StockLevel(sku=sku, quantity=quantity, in_stock=quantity > 0)
    change = CatalogChange(
        entity_kind="product", entity_id=entity_id, op="stock_changed", stock=level
    )
    return _event(tenant_id, change, time)


def deleted(
    tenant_id: str,
    entity_id: str,
    kind: EntityKind = "product",
    *,
    time: datetime | None = None,
) -> CatalogEntityChanged:
    change = CatalogChange(entity_kind=kind, entity_id=entity_id, op="deleted")
    return _event(tenant_id, change, time)


def _event(tenant_id: str, change: CatalogChange, time: datetime | None) -> CatalogEntityChanged:
    extra: dict[str, Any] = {} if time is None else {"time": time}
    return CatalogEntityChanged.new(tenant_id=tenant_id, source="catalog", data=change, **extra)


@dataclass
class FakeIndex:
    """An in-memory index with the writer's and reader's methods; records every write."""

    documents: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    writes: list[tuple[str, str, str]] = field(default_factory=list)

    async def embed(self, text: str) -> EmbeddedText:
        return EmbeddedText(text, [float(len(text))])

    async def upsert(self, doc: IndexDocument, embedded: EmbeddedText | None = None) -> None:
        self.writes.append(("upsert", doc.tenant_id, doc.entity_id))
        self.documents[(doc.tenant_id, doc.kind, doc.entity_id)] = dict(doc.payload)

    async def delete(self, tenant_id: str, entity_id: str, kind: Kind | None = None) -> None:
        self.writes.append(("delete", tenant_id, entity_id))
        for key in [k for k in self.documents if k[0] == tenant_id and k[2] == entity_id]:
            if kind is None or key[1] == kind:
                del self.documents[key]

    async def set_stock(
        self, tenant_id: str, entity_id: str, stock: int | None, in_stock: bool | None = None
    ) -> None:
        self.writes.append(("set_stock", tenant_id, entity_id))
        document = self.documents.get((tenant_id, "product", entity_id))
        if document is not None:
            document.update(stock_payload(stock, in_stock))

    async def search(self, tenant_id: str, query: SearchQuery) -> list[Hit]:
        hits = [
            Hit(p["kind"], p["entity_id"], 1.0, p.get("title", ""), p.get("text", ""), p)
            for (tenant, _, _), p in self.documents.items()
            if tenant == tenant_id and (not query.kinds or p["kind"] in query.kinds)
        ]
        return hits[: query.limit]

    async def count(self, tenant_id: str, kind: Kind | None = None) -> int:
        return sum(
            1 for t, k, _ in self.documents if t == tenant_id and (kind is None or k == kind)
        )

    def product(self, tenant_id: str, entity_id: str) -> dict[str, Any] | None:
        return self.documents.get((tenant_id, "product", entity_id))
