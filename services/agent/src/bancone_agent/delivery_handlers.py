"""What became of our messages: the notifier's delivery reports noted on the agent's own
messages; an assistant reply that failed (or whose outcome is unknown) hands its conversation
to people."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from bancone_agent.adapters import conversations, handoffs
from bancone_agent.deps import AgentDeps
from bancone_agent.domain.delivery import undelivered_reply_reason
from bancone_contracts.events.delivery import DeliveryUpdated
from bancone_contracts.subscriptions import consumer_group
from bancone_kit.logging import get_logger
from bancone_kit.messaging import inbox

log = get_logger(__name__)

DELIVERY_CONSUMER: Final = consumer_group("agent", DeliveryUpdated).inbox


async def handle_delivery(event: DeliveryUpdated, deps: AgentDeps) -> None:
    """One delivery report (see `handle_delivery_batch`)."""
    await handle_delivery_batch([event], deps)


async def handle_delivery_batch(events: Sequence[DeliveryUpdated], deps: AgentDeps) -> None:
    """Note on our outbound messages what the notifier reports about them, in order; an
    assistant reply that failed (or whose outcome is unknown) hands its conversation to people.

    The reports queued for one conversation (a reply's sent, delivered and read come close
    together) are claimed and recorded in one transaction; a report seen before is skipped."""
    async with inbox.claim_many(deps.sessions, DELIVERY_CONSUMER, [e.id for e in events]) as (
        tx,
        fresh,
    ):
        outcomes = [
            (event, await _record(tx, event, deps)) for event in events if event.id in fresh
        ]
    for event, escalated in outcomes:
        fields = {"tenant_id": event.tenant_id, "outbound_id": str(event.data.outbound_id)}
        if escalated is None:
            log.info("delivery.not_ours", status=event.data.status, **fields)
        else:
            log.info("delivery.recorded", status=event.data.status, escalated=escalated, **fields)


async def _record(tx: AsyncSession, event: DeliveryUpdated, deps: AgentDeps) -> bool | None:
    """Whether the report escalated the conversation; None when the message is not ours."""
    recorded = await conversations.record_delivery(tx, event)
    if recorded is None:
        return None
    reply = recorded.message
    reason = (
        undelivered_reply_reason(reply.sender, reply.delivery_error)
        if recorded.failed_now
        else None
    )
    return reason is not None and await handoffs.escalate_undelivered_reply(
        tx, reply, reason, deps.clock()
    )
