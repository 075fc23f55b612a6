"""What became of our messages: the notifier's delivery reports noted on the agent's own
messages; an assistant reply that failed (or whose outcome is unknown) hands its conversation
to people."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

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
    """Note on our outbound message what the notifier reports about it; an assistant reply
    that failed (or whose outcome is unknown) hands its conversation to people."""
    result = event.data
    fields = {"tenant_id": event.tenant_id, "outbound_id": str(result.outbound_id)}
    async with inbox.claim(deps.sessions, DELIVERY_CONSUMER, event.id) as tx:
        if tx is None:
            return
        recorded = await conversations.record_delivery(tx, event)
        if recorded is None:
            log.info("delivery.not_ours", status=result.status, **fields)
            return
        reply = recorded.message
        reason = (
            undelivered_reply_reason(reply.sender, reply.delivery_error)
            if recorded.failed_now
            else None
        )
        escalated = reason is not None and await handoffs.escalate_undelivered_reply(
            tx, reply, reason, deps.clock()
        )
    log.info("delivery.recorded", status=result.status, escalated=escalated, **fields)


async def handle_delivery_batch(events: Sequence[DeliveryUpdated], deps: AgentDeps) -> None:
    for event in events:
        await handle_delivery(event, deps)
