"""Order changes (`bancone.order.v1`, published by the catalog) as the customer hears of them.

For each change worth telling (`domain.order_updates`), the message is written into the
customer's conversation and staged in the agent's outbox in ONE transaction that claims the
event in the inbox: a redelivered event is a no-op, and the outbound id derives from the
event id, so even a recomputed one is sent once by the notifier.

The invoice link of a `paid` order is minted at the gateway before that transaction (no I/O
under the conversation lock). If the gateway cannot mint it after a few quick attempts, the
customer is still told the payment arrived and that the invoice follows, and the conversation
goes to people (reason `invoice link unavailable`) — a payment confirmation held back in a
dead-letter topic nobody reads would be silence, which the design forbids.

Free-form messages may only be sent within 24 hours of the customer's last message: outside
that window nothing is sent and a system note in the conversation says what was kept back.
Order messages are transactional, so they are sent whatever the conversation's state (also
while an operator holds it); they never change who holds it, except the escalation above.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from bancone_agent.adapters import conversations, repository
from bancone_agent.adapters.config_store import get_active_config
from bancone_agent.adapters.order_messages import (
    locked_recipient,
    record_order_message,
    record_unsent_note,
)
from bancone_agent.domain.conversation import Trigger
from bancone_agent.domain.operators import window_open
from bancone_agent.domain.order_updates import (
    LINK_UNAVAILABLE_REASON,
    InvoiceLinkUnavailableError,
    message_language,
    needs_invoice_link,
    order_message,
    tells_customer,
    unsent_note,
)
from bancone_contracts.events.order import OrderChanged
from bancone_contracts.subscriptions import consumer_group
from bancone_kit.logging import get_logger
from bancone_kit.messaging import inbox

if TYPE_CHECKING:
    from bancone_agent.deps import AgentDeps

log = get_logger(__name__)

ORDERS_CONSUMER: Final = consumer_group("agent", OrderChanged).inbox


async def handle_order_change(event: OrderChanged, deps: AgentDeps) -> None:
    change = event.data
    order = change.order
    fields = {
        "tenant_id": event.tenant_id,
        "event_id": str(event.id),
        "order_id": order.order_id,
        "transition": change.transition,
    }
    if not tells_customer(change):
        log.info("order_update.silent", **fields)
        return
    async with deps.sessions() as session:
        if await repository.was_processed(session, ORDERS_CONSUMER, event.id):
            log.info("order_update.duplicate_event", **fields)
            return
        config = await get_active_config(
            session,
            event.tenant_id,
            fallback=deps.fallback_config(event.tenant_id),
            box=deps.config_box,
        )
    link, link_error = await _invoice_link(event, deps)
    language = message_language(order.language, config.default_language)
    text = order_message(change, language, link)
    async with inbox.claim(deps.sessions, ORDERS_CONSUMER, event.id) as tx:
        if tx is None:
            log.info("order_update.duplicate_event", **fields)
            return
        now = deps.clock()
        recipient = await locked_recipient(tx, event.tenant_id, order.customer_id)
        if recipient is None:
            log.warning("order_update.no_conversation", **fields)
            return
        conversation = recipient.conversation
        if not window_open(conversation.last_inbound_at, now):
            note = unsent_note(change, text)
            record_unsent_note(tx, event.tenant_id, conversation.id, note, now)
            log.warning("order_update.window_closed", **fields)
            return
        outbound = record_order_message(tx, event, recipient, text, language, now)
        if link_error is not None:
            conversations.change_state(
                tx,
                conversation,
                Trigger.ESCALATE,
                actor="system",
                reason=f"{LINK_UNAVAILABLE_REASON} for order {order.number}"[:200],
                now=now,
            )
    log.info(
        "order_update.staged",
        outbound_id=str(outbound.data.outbound_id),
        language=language,
        with_link=link is not None,
        escalated=link_error is not None,
        **fields,
    )


async def _invoice_link(event: OrderChanged, deps: AgentDeps) -> tuple[str | None, str | None]:
    """(link, None), or (None, why) when the change needs a link the gateway did not mint;
    (None, None) when it needs none."""
    if not needs_invoice_link(event.data):
        return None, None
    if deps.invoice_links is None:
        return None, "no invoice link client"
    try:
        return await deps.invoice_links.invoice_link(
            event.tenant_id, event.data.order.order_id
        ), None
    except InvoiceLinkUnavailableError as error:
        log.warning(
            "order_update.link_unavailable",
            tenant_id=event.tenant_id,
            order_id=event.data.order.order_id,
            error=str(error),
        )
        return None, str(error)


async def handle_order_batch(events: Sequence[OrderChanged], deps: AgentDeps) -> None:
    for event in events:
        await handle_order_change(event, deps)
