"""The `bancone.order.v1` event each order change publishes (the whole order after it)."""

from __future__ import annotations

from datetime import datetime

from bancone_catalog.domain.events import SOURCE
from bancone_catalog.domain.orders import OrderPublic
from bancone_contracts.events.order import (
    OrderChange,
    OrderChanged,
    OrderSnapshot,
    OrderStatus,
    OrderTransition,
)


def order_changed(
    order: OrderPublic,
    transition: OrderTransition,
    *,
    previous: OrderStatus | None,
    actor: str,
    at: datetime,
    operator_id: str | None = None,
) -> OrderChanged:
    snapshot = OrderSnapshot.model_validate(order.model_dump(exclude={"tenant_id", "updated_at"}))
    change = OrderChange.model_validate(
        {
            "transition": transition,
            "previous_status": previous,
            "actor": actor,
            "operator_id": operator_id,
            "order": snapshot,
            "occurred_at": at,
        }
    )
    return OrderChanged.new(tenant_id=order.tenant_id, source=SOURCE, data=change)
