"""Catalog events become index entities, stale ones are recognised, bad records refused."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from bancone_contracts.common import Money
from bancone_contracts.events import EventDecodeError
from bancone_contracts.events.catalog import (
    CatalogChange,
    CatalogEntityChanged,
    OfferSnapshot,
    ServiceSnapshot,
)
from bancone_contracts.topics import CATALOG
from bancone_ingest.adapters.tables import IndexedEntityRecord
from bancone_ingest.domain import Faq, Offer, Product, Service
from bancone_ingest.entrypoints.consumers import SUBSCRIPTIONS, parser_for
from bancone_ingest.handlers import entity_from, is_stale
from services.ingest.tests.support import at, deleted, faq_upserted, product_upserted, stock_changed

pytestmark = pytest.mark.unit


def test_a_product_snapshot_becomes_a_product_with_its_exact_price() -> None:
    event = product_upserted(
        "demo",
        "p1",
        name="Barolo 2019",
        price="42.50",
        description="Nebbiolo delle Langhe.",
        stock=0,
        attributes={"colour": "red", "region": "Piemonte"},
    )
    assert event.data.snapshot is not None

    product = entity_from("p1", event.data.snapshot)

    assert product == Product(
        id="p1",
        name="Barolo 2019",
        price=Decimal("42.50"),
        currency="EUR",
        description="Nebbiolo delle Langhe.",
        category="vino-rosso",
        stock=0,
        in_stock=False,
        attributes={"colour": "red", "region": "Piemonte"},
    )


def test_faq_service_and_offer_snapshots_map_field_by_field() -> None:
    faq = faq_upserted("demo", "f1", question="Spedite?", answer="Sì.", language="es").data
    assert faq.snapshot is not None
    assert entity_from("f1", faq.snapshot) == Faq(
        id="f1", question="Spedite?", answer="Sì.", language="es"
    )

    service = ServiceSnapshot(
        name="Degustazione", price=Money(amount=Decimal("25"), currency="EUR"), duration_minutes=90
    )
    assert entity_from("s1", service) == Service(
        id="s1", name="Degustazione", price=Decimal("25"), duration_minutes=90
    )

    start = datetime(2025, 12, 1, tzinfo=UTC)
    offer = OfferSnapshot(
        title="Natale", discount_percent=Decimal("10"), product_ids=("p1",), valid_from=start
    )
    assert entity_from("o1", offer) == Offer(
        id="o1",
        title="Natale",
        discount_percent=Decimal("10"),
        product_ids=("p1",),
        valid_from=start,
    )


def _row(changed: float | None, stock_changed_at: float | None = None) -> IndexedEntityRecord:
    return IndexedEntityRecord(
        tenant_id="demo",
        entity_kind="product",
        entity_id="p1",
        changed_at=None if changed is None else at(changed),
        stock_changed_at=None if stock_changed_at is None else at(stock_changed_at),
        last_event_id=uuid.uuid4(),
    )


def test_an_event_older_than_the_last_applied_state_is_stale() -> None:
    upsert = product_upserted("demo", "p1", name="x").data
    stock = stock_changed("demo", "p1", 3).data
    delete = deleted("demo", "p1").data

    assert not is_stale(None, upsert, at(0))
    assert is_stale(_row(10), upsert, at(5))
    assert is_stale(_row(10), delete, at(5))
    assert not is_stale(_row(10), upsert, at(10)), "equal times apply in delivery order"
    assert not is_stale(_row(10), upsert, at(11))
    # An upsert older than a stock change still applies (it keeps the newer stock) ...
    assert not is_stale(_row(10, stock_changed_at=20), upsert, at(15))
    # ... but a stock change older than either an upsert or a stock change does not.
    assert is_stale(_row(10, stock_changed_at=20), stock, at(15))
    assert is_stale(_row(30), stock, at(25))
    assert not is_stale(_row(None, stock_changed_at=20), stock, at(21))


def test_the_consumer_reads_the_catalog_topic_in_its_own_group() -> None:
    [subscription] = SUBSCRIPTIONS
    assert (subscription.event, subscription.topic, subscription.group) == (
        CatalogEntityChanged,
        CATALOG,
        "ingest",
    )


def test_a_record_with_a_tenant_id_that_is_not_a_slug_is_undecodable() -> None:
    parse = parser_for(CatalogEntityChanged)
    good = product_upserted("demo", "p1", name="x")
    assert parse(good.to_bytes()) == good

    change = CatalogChange(entity_kind="product", entity_id="p1", op="deleted")
    bad = CatalogEntityChanged.new(tenant_id="Not A Slug", source="catalog", data=change)
    with pytest.raises(EventDecodeError, match="tenant"):
        parse(bad.to_bytes())
    with pytest.raises(EventDecodeError):
        parse(b'{"type": "something.else"}')
