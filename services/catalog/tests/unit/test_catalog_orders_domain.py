"""The pure parts of selling: the lifecycle table, quotes, order requests, CSV variant rows."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from bancone_catalog.domain.errors import InvalidImportError, InvalidTransitionError
from bancone_catalog.domain.imports import parse_csv
from bancone_catalog.domain.orders import (
    CartLineIn,
    PlaceOrder,
    Sellable,
    check_transition,
    quote,
)
from bancone_contracts.common import Money
from bancone_contracts.events.order import Fulfilment, OrderLine, OrderSnapshot, OrderStatus

pytestmark = pytest.mark.unit

EUR = Money(amount=Decimal("10.00"), currency="EUR")


def snapshot(status: OrderStatus, method: str = "delivery") -> OrderSnapshot:
    return OrderSnapshot(
        order_id="o1",
        number="A-1001",
        customer_id="393331",
        status=status,
        lines=(OrderLine(sku="X", name="X", quantity=1, unit_price=EUR, line_total=EUR),),
        total=EUR,
        fulfilment=Fulfilment.model_validate(
            {"method": method, "name": "Giulia", "address": "Via Roma 1"}
        ),
        created_at=datetime(2026, 12, 6, tzinfo=UTC),
    )


ALLOWED = {
    ("pending", "confirmed"),
    ("pending", "paid"),
    ("pending", "cancelled"),
    ("confirmed", "paid"),
    ("confirmed", "cancelled"),
    ("paid", "shipped"),
    ("paid", "refunded"),
    ("shipped", "delivered"),
    ("shipped", "refunded"),
    ("delivered", "refunded"),
}
STATUSES: tuple[OrderStatus, ...] = (
    "pending",
    "confirmed",
    "paid",
    "shipped",
    "delivered",
    "cancelled",
    "refunded",
)


@pytest.mark.parametrize("current", STATUSES)
@pytest.mark.parametrize("to", STATUSES)
def test_the_lifecycle_allows_exactly_its_transitions(
    current: OrderStatus, to: OrderStatus
) -> None:
    order = snapshot(current)
    if (current, to) in ALLOWED:
        assert check_transition(order, to, tracking_code="TRK") == to
    else:
        with pytest.raises(InvalidTransitionError):
            check_transition(order, to, tracking_code="TRK")


def test_shipping_needs_a_tracking_code_and_pickup_is_delivered_from_paid() -> None:
    with pytest.raises(InvalidTransitionError, match="tracking code"):
        check_transition(snapshot("paid"), "shipped", tracking_code=" ")
    assert check_transition(snapshot("paid", "pickup"), "delivered") == "delivered"
    assert check_transition(snapshot("paid", "pickup"), "shipped") == "shipped"


def item(sku: str, stock: int, *, active: bool = True, price: str = "39.90") -> Sellable:
    return Sellable(sku, uuid.uuid4(), "Barolo", "75 cl", Decimal(price), "EUR", stock, active)


def test_a_quote_adds_repeated_skus_and_totals_only_priced_lines() -> None:
    lines = [CartLineIn(sku="A", quantity=1), CartLineIn(sku="B", quantity=1)]
    lines.append(CartLineIn(sku="A", quantity=1))

    result = quote(lines, {"A": item("A", 2), "B": item("B", 0, price="5")}, max_quantity=20)

    assert [(line.sku, line.quantity, line.problem) for line in result.lines] == [
        ("A", 2, None),
        ("B", 1, "out_of_stock"),
    ]
    assert (result.total, result.ok) == (Decimal("84.80"), False)


def test_an_order_request_refuses_zero_repeats_and_a_delivery_without_address() -> None:
    base: dict[str, Any] = {"idempotency_key": "k", "customer_id": "c"}
    with pytest.raises(ValidationError):
        PlaceOrder.model_validate({**base, "lines": [{"sku": "A", "quantity": 0}]})
    with pytest.raises(ValidationError, match="one line"):
        PlaceOrder.model_validate(
            {**base, "lines": [{"sku": "A", "quantity": 1}, {"sku": "A", "quantity": 1}]}
        )
    with pytest.raises(ValidationError, match="address"):
        PlaceOrder.model_validate(
            {
                **base,
                "lines": [{"sku": "A", "quantity": 1}],
                "fulfilment": {"method": "delivery", "name": "G"},
            }
        )


def test_csv_variant_rows_become_the_parents_variants() -> None:
    text = (
        "sku;name;category;price;stock;parent_sku;variant_label;attr.size\n"
        "BAR;Barolo;vino-rosso;39.90;;;;\n"
        "BAR-75;;;;5;BAR;75 cl;75 cl\n"
        "BAR-150;;;89;1;BAR;Magnum;150 cl\n"
        "OIL;Olio;olio;12.5;3;;;\n"
    )

    parsed = parse_csv(text, "product")

    barolo, oil = (row.item for row in parsed.products)
    assert [(v.sku, v.label, v.price, v.stock) for v in barolo.variants] == [
        ("BAR-75", "75 cl", None, 5),
        ("BAR-150", "Magnum", Decimal("89.00"), 1),
    ]
    assert barolo.variants[0].attributes == {"size": "75 cl"}
    assert "variants" in barolo.model_fields_set
    assert "variants" not in oil.model_fields_set


def test_csv_variant_rows_need_a_parent_in_the_file_and_a_label() -> None:
    text = "sku;name;category;price;parent_sku;variant_label\nX-1;;;;NOPE;a\nY-1;;;;;b\nZ;Z;z;1;;\nZ-1;;;;Z;\n"

    with pytest.raises(InvalidImportError) as rejected:
        parse_csv(text, "product")

    assert sorted(str(issue) for issue in rejected.value.issues) == [
        "line 2, parent_sku: parent_sku 'NOPE' is not a product row of this file",
        "line 3, variant_label: variant_label needs a parent_sku",
        "line 5, variant_label: Input should be a valid string",
    ]
