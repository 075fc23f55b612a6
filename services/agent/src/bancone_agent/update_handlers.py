"""What WhatsApp reports besides messages (`bancone.whatsapp-updates.v1`), as the agent
acts on it.

- A business-app echo (the owner answered the customer from the WhatsApp Business app on
  the same number): the message is kept in the conversation and the conversation is held by
  a person (`human`, operator `business_app`) — the assistant stays silent until resolved.
- An account notice (template status, account or phone-number quality): kept for operators
  (`GET /v1/tenants/{tenant}/whatsapp-notices`).
- A marketing preference belongs to the notifier's consent ledger: logged here, nothing more.

Each event is claimed in the inbox with its changes, so a redelivery is a no-op.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from bancone_agent.adapters import handoffs, notices
from bancone_agent.adapters.tables import WhatsAppNoticeRecord
from bancone_contracts.events.whatsapp_update import (
    AccountNotice,
    BusinessEcho,
    WhatsAppUpdateReceived,
)
from bancone_contracts.subscriptions import consumer_group
from bancone_kit.logging import get_logger
from bancone_kit.messaging import inbox

if TYPE_CHECKING:
    from bancone_agent.handlers import AgentDeps

log = get_logger(__name__)

UPDATES_CONSUMER: Final = consumer_group("agent", WhatsAppUpdateReceived).inbox


@dataclass(frozen=True)
class ListNotices:
    tenant_id: str
    limit: int = 100


async def handle_update(event: WhatsAppUpdateReceived, deps: AgentDeps) -> None:
    update = event.data.update
    fields = {"tenant_id": event.tenant_id, "event_id": str(event.id), "kind": update.kind}
    async with inbox.claim(deps.sessions, UPDATES_CONSUMER, event.id) as tx:
        if tx is None:
            return
        now = deps.clock()
        if isinstance(update, BusinessEcho):
            conversation, changed = await handoffs.hold_for_business_app(
                tx, event.tenant_id, update, event.id, now
            )
            fields |= {"conversation_id": str(conversation.id), "changed": str(changed)}
        elif isinstance(update, AccountNotice):
            await notices.record(tx, event, update, now)
            fields |= {"field": update.field, "event": str(update.event)}
    log.info("whatsapp_update.handled", **fields)


async def handle_update_batch(events: Sequence[WhatsAppUpdateReceived], deps: AgentDeps) -> None:
    for event in events:
        await handle_update(event, deps)


async def list_notices(command: ListNotices, deps: AgentDeps) -> list[WhatsAppNoticeRecord]:
    """The tenant's account notices, newest first."""
    async with deps.sessions() as session:
        return await notices.listed(session, command.tenant_id, command.limit)
