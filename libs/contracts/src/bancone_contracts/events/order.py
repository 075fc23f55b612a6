"""``bancone.order.v1``: an order changed state (placed, confirmed, paid, shipped, ...).

The catalog owns orders and publishes one event per change, through its outbox, in the same
transaction as the change itself. Each event carries the whole order as it is after the
change, so a consumer (the agent telling the customer, an integrator's ERP) never has to ask
the catalog what the order looks like now. The key is the customer's conversation key: an
order's events stay in order with the conversation they belong to.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from bancone_contracts import topics
from bancone_contracts.common import ContractModel, Money, UtcDatetime
from bancone_contracts.envelope import Envelope

OrderStatus = Literal[
    "pending", "confirmed", "paid", "shipped", "delivered", "cancelled", "refunded"
]
"""pending → confirmed → paid → shipped → delivered; or cancelled (from pending/confirmed,
also when the reservation expires) or refunded (from paid/shipped/delivered)."""

OrderTransition = Literal[
    "placed", "confirmed", "paid", "shipped", "delivered", "cancelled", "expired", "refunded"
]
"""What happened: the status change's cause (`expired` = cancelled because the stock
reservation ran out before payment)."""


class OrderLine(ContractModel):
    sku: str = Field(min_length=1, examples=["BAR-2019-75CL"])
    name: str = Field(min_length=1, examples=["Barolo DOCG 2019"])
    variant: str | None = Field(
        default=None, description="The variant's label, when the SKU is one.", examples=["75 cl"]
    )
    quantity: int = Field(ge=1, examples=[2])
    unit_price: Money
    line_total: Money
    category: str | None = Field(
        default=None,
        max_length=64,
        description="The product's category slug when the event was written (absent from "
        "older events, or when the product no longer exists).",
        examples=["vino-rosso"],
    )


class Fulfilment(ContractModel):
    method: Literal["delivery", "pickup"]
    name: str = Field(min_length=1, max_length=200, examples=["Giulia Rossi"])
    address: str | None = Field(
        default=None, max_length=500, description="Delivery address; absent for pickup."
    )


class Invoice(ContractModel):
    number: str = Field(min_length=1, examples=["2026-000012"])
    issued_at: UtcDatetime


class OrderSnapshot(ContractModel):
    """The order as it is after the change."""

    order_id: str = Field(min_length=1)
    number: str = Field(
        min_length=1, description="The shop's order number (per tenant).", examples=["A-1042"]
    )
    customer_id: str = Field(min_length=1, description="The customer (wa_id or user id).")
    phone_number_id: str | None = Field(
        default=None, description="The business number the order came through (to reply)."
    )
    conversation_id: str | None = None
    language: str | None = Field(default=None, description="The customer's language.")
    status: OrderStatus
    lines: tuple[OrderLine, ...] = Field(min_length=1)
    total: Money
    fulfilment: Fulfilment | None = None
    payment_url: str | None = Field(default=None, description="The pay-by-link page, if any.")
    tracking_code: str | None = None
    invoice: Invoice | None = None
    reserved_until: UtcDatetime | None = Field(
        default=None, description="When unpaid, the stock is held until then."
    )
    created_at: UtcDatetime


class OrderChange(ContractModel):
    transition: OrderTransition
    previous_status: OrderStatus | None = Field(
        default=None, description="None when the order was just placed."
    )
    actor: Literal["customer", "operator", "payment", "system"] = "system"
    operator_id: str | None = None
    order: OrderSnapshot
    occurred_at: UtcDatetime


class OrderChanged(Envelope[OrderChange]):
    """An order was placed, confirmed, paid, shipped, delivered, cancelled, expired or
    refunded."""

    topic: ClassVar[str] = topics.ORDER
    type: Literal["order.changed"] = "order.changed"
    version: Literal[1] = 1

    @classmethod
    def subject_for(cls, tenant_id: str, data: OrderChange) -> str:
        return topics.conversation_key(tenant_id, data.order.customer_id)
