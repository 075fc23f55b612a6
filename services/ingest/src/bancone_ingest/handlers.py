"""The ingest's use cases: keep the knowledge index in step with the catalog (an event), and
search it or count it for a tenant (HTTP); the document use cases live in
`document_handlers.py` and `ingestion.py`. Plain functions; the registries at the bottom say
who handles what.

Idempotency and order. Writing to Qdrant is idempotent by itself (a point id is a uuid5 of
tenant, kind and entity), but the order of writes matters: applying an older upsert after a
newer one would bring back an old price. So every event is applied inside `inbox.claim`,
whose transaction also holds the entity's row in `indexed_entities` (locked on PostgreSQL):
the time of the last upsert/delete applied and of the last stock change applied.

- A redelivered event finds its inbox row and does nothing.
- Catalog events are keyed `tenant_id:entity_id`, so one entity's events sit in one
  partition, in the order the catalog's outbox relay published them (one relay per
  database, in outbox order), and one consumer of the group reads them in that order, retrying a failing handler before it
  moves on. Order still breaks when an event that went to the DLQ is replayed after newer
  ones were applied, when an operator replays a topic range into a fresh inbox, or when
  the partition count changes and keys move: the row makes these safe. An event older
  than the entity's last applied state is skipped (and marked processed): a late upsert
  never overwrites a newer one nor resurrects a deleted entity, a late stock change never
  overwrites the stock of a newer upsert. An upsert older than a stock change already
  applied is still applied, with that newer stock.
- Events are ordered by their envelope `time` (the catalog's clock when it built the event,
  inside the writing transaction); equal times apply in delivery order. The contract
  carries no per-entity version, so two writers racing on one entity within the clock's
  resolution, or skew between catalog hosts' clocks, are the remaining holes.

The Qdrant write happens before the transaction commits: if the commit fails the event is
redelivered and the write repeated, which the deterministic point ids make harmless. The
embedding of an upsert, though, is computed before the transaction opens: it can take seconds
(the model loading, a busy CPU, a remote API), and on SQLite the transaction holds the one
write lock, so every other writer (a document upload) would wait past its busy timeout. The
vector depends only on the snapshot's text, so computing it early changes no decision: a
duplicate or stale event merely wastes it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bancone_contracts.envelope import Envelope
from bancone_contracts.events.catalog import (
    CatalogChange,
    CatalogEntityChanged,
    EntitySnapshot,
    FaqSnapshot,
    OfferSnapshot,
    ProductSnapshot,
    ServiceSnapshot,
)
from bancone_contracts.subscriptions import consumer_group
from bancone_ingest import document_handlers
from bancone_ingest.adapters.tables import IndexedEntityRecord
from bancone_ingest.domain import (
    KINDS,
    CatalogEntity,
    EmbeddedText,
    Faq,
    Hit,
    IndexDocument,
    Kind,
    Offer,
    Product,
    SearchQuery,
    Service,
    build_document,
    checked_tenant_id,
)
from bancone_kit.clock import utcnow
from bancone_kit.logging import get_logger
from bancone_kit.messaging import inbox
from bancone_kit.messaging.subscriptions import Subscription

log = get_logger(__name__)

CATALOG_CHANGES: Final = consumer_group("ingest", CatalogEntityChanged)
"""The declared subscription to catalog changes: its group, and the inbox name its events are
recorded under (`bancone_contracts.subscriptions`)."""

DEFAULT_FAQ_LANGUAGE = "it"


class IndexWriter(Protocol):
    """What the handler needs of the knowledge index (`KnowledgeIndex` or a test fake)."""

    async def embed(self, text: str) -> EmbeddedText: ...

    async def upsert(self, doc: IndexDocument, embedded: EmbeddedText | None = None) -> None: ...

    async def delete(self, tenant_id: str, entity_id: str, kind: Kind | None = None) -> None: ...

    async def set_stock(
        self, tenant_id: str, entity_id: str, stock: int | None, in_stock: bool | None = None
    ) -> None: ...


@dataclass(frozen=True)
class IngestDeps:
    sessions: async_sessionmaker[Any]
    """From `bancone_kit.db.session_factory`."""
    index: IndexWriter


# --- catalog snapshots to index entities ---------------------------------------------------


def entity_from(entity_id: str, snapshot: EntitySnapshot) -> CatalogEntity:
    """The domain entity an upsert's snapshot describes (the wire format stops here)."""
    if isinstance(snapshot, ProductSnapshot):
        return Product(
            id=entity_id,
            name=snapshot.name,
            price=snapshot.price.amount if snapshot.price else None,
            currency=snapshot.price.currency if snapshot.price else "EUR",
            description=snapshot.description or "",
            category=snapshot.category or "",
            stock=snapshot.stock_quantity,
            in_stock=snapshot.in_stock,
            active=snapshot.active,
            attributes=dict(snapshot.attributes),
            tags=tuple(snapshot.tags),
        )
    if isinstance(snapshot, ServiceSnapshot):
        return Service(
            id=entity_id,
            name=snapshot.name,
            description=snapshot.description or "",
            price=snapshot.price.amount if snapshot.price else None,
            currency=snapshot.price.currency if snapshot.price else "EUR",
            duration_minutes=snapshot.duration_minutes,
            active=snapshot.active,
            tags=tuple(snapshot.tags),
        )
    if isinstance(snapshot, FaqSnapshot):
        return Faq(
            id=entity_id,
            question=snapshot.question,
            answer=snapshot.answer,
            language=snapshot.language or DEFAULT_FAQ_LANGUAGE,
            tags=tuple(snapshot.tags),
        )
    assert isinstance(snapshot, OfferSnapshot)
    return Offer(
        id=entity_id,
        title=snapshot.title,
        description=snapshot.description or "",
        discount_percent=snapshot.discount_percent,
        product_ids=tuple(snapshot.product_ids),
        valid_from=snapshot.valid_from,
        valid_until=snapshot.valid_until,
        active=snapshot.active,
    )


# --- ordering -------------------------------------------------------------------------------


def _after(moment: datetime | None, event_time: datetime) -> bool:
    """True when `moment` (a state already applied) is newer than the event."""
    return moment is not None and moment > event_time


def is_stale(row: IndexedEntityRecord | None, change: CatalogChange, event_time: datetime) -> bool:
    """Whether the index already holds a newer state than this change would write."""
    if row is None:
        return False
    if change.op == "stock_changed":
        return _after(row.changed_at, event_time) or _after(row.stock_changed_at, event_time)
    return _after(row.changed_at, event_time)


# --- the handler ----------------------------------------------------------------------------


async def handle_catalog_change(event: CatalogEntityChanged, deps: IngestDeps) -> None:
    """Apply one catalog change to the tenant's index, unless seen before or superseded."""
    change = event.data
    fields = {
        "tenant_id": event.tenant_id,
        "event_id": str(event.id),
        "entity_kind": change.entity_kind,
        "entity_id": change.entity_id,
        "op": change.op,
    }
    embedded = await _embed_ahead(event, deps.index)
    async with inbox.claim(deps.sessions, CATALOG_CHANGES.inbox, event.id) as tx:
        if tx is None:
            log.info("catalog_change.duplicate_event", **fields)
            return
        row = await _locked_row(tx, event)
        if is_stale(row, change, event.time):
            log.info("catalog_change.stale_ignored", **fields)
            return
        if row is None:
            row = IndexedEntityRecord(
                tenant_id=event.tenant_id,
                entity_kind=change.entity_kind,
                entity_id=change.entity_id,
                last_event_id=event.id,
            )
            tx.add(row)
        await _apply(event, row, deps.index, embedded)
        row.last_event_id = event.id
        row.updated_at = utcnow()
    log.info("catalog_change.indexed", **fields)


async def _locked_row(tx: AsyncSession, event: CatalogEntityChanged) -> IndexedEntityRecord | None:
    key = (event.tenant_id, event.data.entity_kind, event.data.entity_id)
    return await tx.get(IndexedEntityRecord, key, with_for_update=True)


async def _embed_ahead(event: CatalogEntityChanged, index: IndexWriter) -> EmbeddedText | None:
    """The vector an upsert will write, computed before any transaction holds a lock."""
    change = event.data
    if change.op != "upserted" or change.snapshot is None:
        return None
    doc = build_document(event.tenant_id, entity_from(change.entity_id, change.snapshot))
    return await index.embed(doc.text)


async def _apply(
    event: CatalogEntityChanged,
    row: IndexedEntityRecord,
    index: IndexWriter,
    embedded: EmbeddedText | None,
) -> None:
    """Write the change to the index and record it on the entity's row."""
    change, tenant_id = event.data, event.tenant_id
    if change.op == "upserted":
        assert change.snapshot is not None  # the contract guarantees it
        entity = entity_from(change.entity_id, change.snapshot)
        if isinstance(entity, Product) and _after(row.stock_changed_at, event.time):
            # A stock change newer than this upsert was applied already: keep its stock.
            entity = dataclasses.replace(entity, stock=row.stock, in_stock=row.in_stock)
        await index.upsert(build_document(tenant_id, entity), embedded)
        row.changed_at, row.deleted = event.time, False
    elif change.op == "deleted":
        await index.delete(tenant_id, change.entity_id, change.entity_kind)
        row.changed_at, row.deleted = event.time, True
    else:
        level = change.stock
        assert level is not None  # the contract guarantees it
        if level.sku is not None:
            # Variants are not indexed; only the product's own stock is searchable.
            log.info("catalog_change.variant_stock_ignored", entity_id=change.entity_id)
            return
        if row.changed_at is not None and not row.deleted:
            await index.set_stock(tenant_id, change.entity_id, level.quantity, level.in_stock)
        # Remembered even when nothing is indexed yet: a late, older upsert will use it.
        row.stock_changed_at, row.stock, row.in_stock = event.time, level.quantity, level.in_stock


# --- search (HTTP) -------------------------------------------------------------------------


class IndexReader(Protocol):
    """What the searches need of the index (the app's `IndexHandle`, or a test fake)."""

    async def search(self, tenant_id: str, query: SearchQuery) -> list[Hit]: ...

    async def count(self, tenant_id: str, kind: Kind | None = None) -> int: ...


async def search_index(tenant_id: str, query: SearchQuery, index: IndexReader) -> list[Hit]:
    """The tenant's best documents for the query: vectors, keywords and filters fused."""
    return await index.search(checked_tenant_id(tenant_id), query)


async def count_indexed(tenant_id: str, index: IndexReader) -> dict[Kind, int]:
    """How many documents of each kind the tenant has indexed (e.g. to wait for an import)."""
    tenant_id = checked_tenant_id(tenant_id)
    return {kind: await index.count(tenant_id, kind) for kind in KINDS}


# --- registry -------------------------------------------------------------------------------

Handler = Callable[[Any, IngestDeps], Awaitable[None]]

EVENT_HANDLERS: Final[dict[type[Envelope[Any]], Handler]] = {
    CatalogEntityChanged: handle_catalog_change,
}
"""Which handler reacts to which event (consumers subscribe them in `entrypoints`)."""

COMMAND_HANDLERS: Final[Mapping[str, Callable[..., Awaitable[Any]]]] = {
    "search_index": search_index,
    "count_indexed": count_indexed,
    "upload_document": document_handlers.upload_document,
    "list_documents": document_handlers.list_documents,
    "get_document": document_handlers.get_document,
    "get_job": document_handlers.get_job,
    "delete_document": document_handlers.delete_document,
}
"""Every HTTP-triggered use case of the ingest, by name (`entrypoints/search_api.py`,
`entrypoints/documents_api.py`); jobs run in `entrypoints/ingestion_worker.py`."""

SUBSCRIPTIONS: Final[tuple[Subscription, ...]] = (Subscription.of(CATALOG_CHANGES),)
"""Where those events are read from (the group `bancone_contracts.subscriptions` declares)."""
