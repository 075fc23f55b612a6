"""What the notifier's handler tests share: deps over a test database with a fake Graph
API, and readers of what a send recorded and staged."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bancone_contracts.events import parse_event
from bancone_contracts.events.delivery import DeliveryResult, DeliveryUpdated
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_contracts.topics import DELIVERY
from bancone_kit.crypto import Keyring, SecretBox
from bancone_kit.db import session_factory
from bancone_kit.messaging.retry import RetryPolicy
from bancone_kit.messaging.tables import OutboxRecord
from bancone_notifier.adapters.tables import (
    OutboundMessageRecord,
)
from bancone_notifier.consent_handlers import ComplianceRules
from bancone_notifier.deps import NotifierDeps
from bancone_notifier.handlers import (
    handle_channel_changed,
)
from bancone_notifier.outbound_sending import handle_outbound_requested
from services.notifier.tests.support import EventFactory, FakeGraphApi

SENDING_ONLY = ComplianceRules(enforce_window=False)
"""These tests are about sending mechanics; the window has its own (test_notifier_consent_*)."""


def deps_for(engine: AsyncEngine, events: EventFactory, graph: FakeGraphApi) -> NotifierDeps:
    return NotifierDeps(
        sessions=session_factory(engine),
        graph=graph,
        channel_box=SecretBox(Keyring.parse(events.keyring)),
        send_retry=RetryPolicy(attempts=3, initial_delay=0.0, max_delay=0.0),
        rules=SENDING_ONLY,
    )


async def outbound_row(engine: AsyncEngine, outbound_id: uuid.UUID) -> OutboundMessageRecord:
    async with session_factory(engine)() as session:
        row = await session.get(OutboundMessageRecord, outbound_id)
    assert row is not None
    return row


async def deliveries(
    engine: AsyncEngine, outbound_id: uuid.UUID, *, published: bool = False
) -> list[DeliveryResult]:
    """Delivery events staged in the outbox for one message, in commit order; with
    `published`, only those the relay has published (rows marked sent)."""
    statement = select(OutboxRecord).where(OutboxRecord.topic == DELIVERY)
    if published:
        statement = statement.where(sa.column("sent_at").is_not(None))
    async with session_factory(engine)() as session:
        rows = (await session.exec(statement.order_by(sa.column("seq")))).all()
    found = []
    for row in rows:
        event = parse_event(row.topic, row.payload)
        if isinstance(event, DeliveryUpdated) and event.data.outbound_id == outbound_id:
            found.append(event.data)
    return found


async def sent_once(
    engine: AsyncEngine, events: EventFactory, graph: FakeGraphApi, to: str
) -> tuple[OutboundMessageRequested, str]:
    """Register the channel and send one text; returns the event and its wamid."""
    deps = deps_for(engine, events, graph)
    await handle_channel_changed(events.channel(), deps)
    outbound = events.outbound(to)
    await handle_outbound_requested(outbound, deps)
    wamid = (await outbound_row(engine, outbound.data.outbound_id)).wamid
    assert wamid is not None
    return outbound, wamid
