"""The notifier's use cases and their registries: keep channels, follow a message's delivery;
the send path is `outbound_sending`, WhatsApp's rules `consent_handlers` and
`template_handlers`, campaigns `campaign_handlers`. Plain functions `(event, deps)`; the
registry at the bottom says who handles what.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

from sqlmodel.ext.asyncio.session import AsyncSession

from bancone_contracts.common import utc_now
from bancone_contracts.envelope import Envelope
from bancone_contracts.events.agent_turn import AgentTurnCompleted
from bancone_contracts.events.catalog import CatalogEntityChanged
from bancone_contracts.events.channel import ChannelChanged
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.order import OrderChanged
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_contracts.events.status import WhatsAppStatusUpdated
from bancone_contracts.events.whatsapp_update import WhatsAppUpdateReceived
from bancone_kit.db.conflicts import insert_ignoring_conflict
from bancone_kit.logging import get_logger
from bancone_kit.messaging.subscriptions import Subscription, declared
from bancone_notifier.adapters import repository
from bancone_notifier.adapters.tables import ChannelRecord, DeliveryStatusRecord
from bancone_notifier.consent_handlers import (
    handle_inbound_received,
    record_opt_in,
    set_consent_keywords,
)
from bancone_notifier.delivery_updates import SOURCE, advance, error_title
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.domain.lifecycle import apply_status
from bancone_notifier.interest_handlers import handle_agent_turn, handle_order_changed
from bancone_notifier.offer_drafts import handle_catalog_changed
from bancone_notifier.outbound_sending import handle_outbound_event
from bancone_notifier.template_handlers import handle_update

log = get_logger(__name__)


# --- channels -------------------------------------------------------------------------------


async def handle_channel_changed(event: ChannelChanged, deps: NotifierDeps) -> None:
    """Upsert the local copy of a channel; an event older than the row is ignored."""
    change = event.data
    async with deps.sessions() as session, session.begin():
        row = await repository.get_channel(session, change.phone_number_id)
        if row is not None and repository.aware(row.changed_at) > event.time:
            log.info("channel.stale_change_ignored", phone_number_id=change.phone_number_id)
            return
        if row is None:
            row = ChannelRecord(
                phone_number_id=change.phone_number_id,
                tenant_id=event.tenant_id,
                status="active",
                changed_at=event.time,
            )
            session.add(row)
        row.tenant_id = event.tenant_id
        row.status = "disabled" if change.change == "disabled" else "active"
        row.access_token_ciphertext = change.access_token_ciphertext
        row.key_id = change.key_id
        row.waba_id = change.waba_id
        row.display_phone_number = change.display_phone_number
        row.changed_at = event.time
        row.updated_at = utc_now()
    log.info(
        "channel.updated",
        phone_number_id=change.phone_number_id,
        tenant_id=event.tenant_id,
        change=change.change,
    )


# --- statuses -------------------------------------------------------------------------------


async def handle_status_updated(event: WhatsAppStatusUpdated, deps: NotifierDeps) -> None:
    """One status (see `handle_statuses`)."""
    await handle_statuses([event], deps)


async def handle_statuses(events: Sequence[WhatsAppStatusUpdated], deps: NotifierDeps) -> None:
    """Record each WhatsApp status once per (wamid, status) and move the lifecycle forward, in
    order. A customer's queued statuses (a reply's sent, delivered and read come close
    together) share one transaction."""
    async with deps.sessions() as session, session.begin():
        outcomes = [await _apply_status(session, event) for event in events]
    for outcome, fields in outcomes:
        log.info(outcome, **fields)


async def _apply_status(
    session: AsyncSession, event: WhatsAppStatusUpdated
) -> tuple[str, dict[str, Any]]:
    """What the status did (a log event name) and the fields to log it with."""
    update = event.data
    fields: dict[str, Any] = {
        "wamid": update.wamid,
        "status": update.status,
        "tenant_id": event.tenant_id,
    }
    error = update.errors[0] if update.errors else None
    await repository.lock_wamid(session, update.wamid)
    row = await repository.find_outbound_by_wamid(session, event.tenant_id, update.wamid)
    moves = row is not None and apply_status(row.state, update.status) is not None
    inserted = await insert_ignoring_conflict(
        session,
        DeliveryStatusRecord,
        {
            "wamid": update.wamid,
            "status": update.status,
            "tenant_id": event.tenant_id,
            "outbound_id": row.outbound_id if row else None,
            "occurred_at": update.timestamp,
            "received_at": utc_now(),
            "error_code": error.code if error else None,
            "error_title": error_title(error),
            "applied": moves,
        },
    )
    if not inserted:
        return "status.duplicate_ignored", fields
    if row is None:
        return "status.unmatched", fields
    if not advance(session, row, update.status, update.timestamp, error):
        return "status.recorded_without_change", {"state": row.state, **fields}
    return "status.applied", {"outbound_id": str(row.outbound_id), **fields}


# --- registry -------------------------------------------------------------------------------

Handler = Callable[[Any, NotifierDeps], Awaitable[None]]

EVENT_HANDLERS: Final[dict[type[Envelope[Any]], Handler]] = {
    ChannelChanged: handle_channel_changed,
    OutboundMessageRequested: handle_outbound_event,
    WhatsAppStatusUpdated: handle_statuses,
    InboundMessageReceived: handle_inbound_received,
    WhatsAppUpdateReceived: handle_update,
    CatalogEntityChanged: handle_catalog_changed,
    OrderChanged: handle_order_changed,
    AgentTurnCompleted: handle_agent_turn,
}
"""Which handler reacts to which event (`entrypoints/consumers.py` subscribes them)."""

COMMAND_HANDLERS: Final[dict[str, Callable[..., Awaitable[Any]]]] = {
    "set_consent_keywords": set_consent_keywords,
    "record_opt_in": record_opt_in,
}
"""The consent commands (`entrypoints/customers_api.py` calls them through
`customer_handlers`)."""

BATCHED: Final = frozenset({WhatsAppStatusUpdated})
"""Events whose handler takes the batch of records queued for one key (`EVENT_HANDLERS`)."""

SUBSCRIPTIONS: Final[tuple[Subscription, ...]] = declared(SOURCE, fold=BATCHED)
"""Where each of those events is read from: the groups `bancone_contracts.subscriptions`
declares for the notifier (channels, outbound messages, statuses, inbound messages and
WhatsApp updates for the consent ledger and the 24-hour window, catalog changes for drafts of
campaigns on new offers, orders and agent turns for customer interests)."""
