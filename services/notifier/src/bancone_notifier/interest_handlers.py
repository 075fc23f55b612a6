"""Customer interests from other services' events (registered in `handlers.py`):

- `bancone.order.v1` (group `notifier-orders`): an order confirmed or paid adds the categories
  of its lines as **bought** (the catalog writes each line's category into the event);
- `bancone.agent-turns.v1` (group `notifier-agent-turns`): a turn adds the categories of the
  products its tools returned, and a category it searched for, as **asked**.

Each event is taken once (the kit's inbox, under the group's name), and a category already
recorded only moves its `last_at` forward, so a redelivery or a second event about the same
order changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy.ext.asyncio import AsyncSession as SqlAlchemySession
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_contracts.envelope import Envelope
from bancone_contracts.events.agent_turn import AgentTurnCompleted
from bancone_contracts.events.order import OrderChanged
from bancone_contracts.subscriptions import consumer_group
from bancone_kit.logging import get_logger
from bancone_kit.messaging import inbox
from bancone_notifier.adapters import customer_store
from bancone_notifier.domain.interests import (
    BOUGHT_STATUSES,
    InterestKind,
    asked_categories,
    bought_categories,
)

if TYPE_CHECKING:
    from bancone_notifier.handlers import NotifierDeps

log = get_logger(__name__)

SOURCE = "notifier"
ORDERS_INBOX = consumer_group(SOURCE, OrderChanged).inbox
TURNS_INBOX = consumer_group(SOURCE, AgentTurnCompleted).inbox


async def handle_order_changed(event: OrderChanged, deps: NotifierDeps) -> None:
    """A confirmed or paid order: its lines' categories become the customer's `bought`."""
    change = event.data
    order = change.order
    categories = bought_categories(change)
    if not categories:
        if order.status in BOUGHT_STATUSES:
            log.info(
                "interests.order_without_categories",
                tenant_id=event.tenant_id,
                order_id=order.order_id,
            )
        return
    await _record(
        deps, ORDERS_INBOX, event, order.customer_id, "bought", categories, change.occurred_at
    )


async def handle_agent_turn(event: AgentTurnCompleted, deps: NotifierDeps) -> None:
    """The categories a turn showed the customer become their `asked`."""
    turn = event.data
    categories = asked_categories(turn)
    if not categories:
        return
    await _record(deps, TURNS_INBOX, event, turn.customer_id, "asked", categories, turn.occurred_at)


async def _record(
    deps: NotifierDeps,
    consumer: str,
    event: Envelope[Any],
    customer_id: str,
    kind: InterestKind,
    categories: Collection[str],
    at: datetime,
) -> None:
    fields = {"tenant_id": event.tenant_id, "event_id": str(event.id), "kind": kind}
    sessions = cast("async_sessionmaker[SqlAlchemySession]", deps.sessions)
    async with inbox.claim(sessions, consumer, event.id) as claimed:
        if claimed is None:
            log.info("interests.duplicate_ignored", **fields)
            return
        added = await customer_store.add_interests(
            cast(AsyncSession, claimed),
            tenant_id=event.tenant_id,
            customer_id=customer_id,
            kind=kind,
            categories=categories,
            at=at,
        )
    log.info("interests.recorded", categories=sorted(categories), new=added, **fields)
