"""A customer's interests from events: categories of confirmed or paid orders (bought) and of
the products an assistant turn showed (asked)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

import pytest

from bancone_contracts.common import Money, utc_now
from bancone_contracts.events.agent_turn import AgentToolCall, AgentTurn
from bancone_contracts.events.order import OrderChange, OrderLine, OrderSnapshot, OrderStatus
from bancone_notifier.domain.interests import asked_categories, bought_categories, category_slug

pytestmark = pytest.mark.unit

EUR = Money(amount=Decimal("9.90"), currency="EUR")


def change(status: OrderStatus, *categories: str | None) -> OrderChange:
    lines = tuple(
        OrderLine(sku=f"S{n}", name="x", quantity=1, unit_price=EUR, line_total=EUR, category=c)
        for n, c in enumerate(categories)
    )
    order = OrderSnapshot(
        order_id="o1",
        number="A-1",
        customer_id="391",
        status=status,
        lines=lines,
        total=EUR,
        created_at=utc_now(),
    )
    return OrderChange(transition="placed", order=order, occurred_at=utc_now())


def turn(*calls: AgentToolCall) -> AgentTurn:
    return AgentTurn(
        turn_id=uuid.uuid4(),
        conversation_id="c1",
        customer_id="391",
        config_version=0,
        assistant="llm",
        tool_calls=calls,
        outcome="answered",
        occurred_at=utc_now(),
    )


def call(name: str, categories: tuple[str, ...] = (), **extra: Any) -> AgentToolCall:
    return AgentToolCall(name=name, categories=categories, **extra)


@pytest.mark.parametrize("status", ["confirmed", "paid", "shipped", "delivered"])
def test_a_confirmed_or_paid_order_counts_its_lines_categories(status: OrderStatus) -> None:
    assert bought_categories(change(status, "vino-rosso", "olio", "vino-rosso", None)) == {
        "vino-rosso",
        "olio",
    }


@pytest.mark.parametrize("status", ["pending", "cancelled", "refunded"])
def test_an_order_not_bought_counts_nothing(status: OrderStatus) -> None:
    assert bought_categories(change(status, "vino-rosso")) == frozenset()


def test_a_turn_counts_the_products_shown_and_a_category_searched_for() -> None:
    found = asked_categories(
        turn(
            call("search_products", ("vino-rosso",), arguments={"category": "Grappa "}),
            call("get_product", ("spumante",)),
            call("search_products", ("olio",), error="shop down"),
            call("search_products", arguments={"category": "not a slug!"}),
            call("list_offers", arguments={"category": "ignored-for-other-tools"}),
        )
    )
    assert found == {"vino-rosso", "grappa", "spumante"}


def test_a_turn_without_tools_counts_nothing() -> None:
    assert asked_categories(turn()) == frozenset()


@pytest.mark.parametrize(
    ("raw", "slug"),
    [("vino-rosso", "vino-rosso"), (" Olio ", "olio"), ("a" * 65, None), ("-x", None), (3, None)],
)
def test_category_slugs(raw: object, slug: str | None) -> None:
    assert category_slug(raw) == slug
