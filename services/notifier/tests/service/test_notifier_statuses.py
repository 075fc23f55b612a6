"""WhatsApp statuses on a real database (PostgreSQL and SQLite): they move a message's
lifecycle forward only, a batch is applied in order in one transaction, duplicates and
regressions are dropped, an unknown wamid is recorded, and a status never crosses tenants."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bancone_contracts.common import utc_now
from bancone_kit.db import session_factory
from bancone_notifier.adapters.tables import (
    DeliveryStatusRecord,
)
from bancone_notifier.domain.sending import Accepted
from bancone_notifier.handlers import (
    handle_status_updated,
    handle_statuses,
)
from services.notifier.tests.support import EventFactory, FakeGraphApi, new_wa_id
from services.notifier.tests.support.handlers import (
    deliveries,
    deps_for,
    outbound_row,
    sent_once,
)

pytestmark = pytest.mark.service


async def test_statuses_move_the_lifecycle_and_publish_each_step(
    engine: AsyncEngine, events: EventFactory
) -> None:
    to = new_wa_id()
    outbound, wamid = await sent_once(engine, events, FakeGraphApi(), to)
    deps = deps_for(engine, events, FakeGraphApi())

    for status in ("sent", "delivered", "read"):
        await handle_status_updated(events.status(wamid, status, to), deps)

    assert (await outbound_row(engine, outbound.data.outbound_id)).state == "read"
    steps = [d.status for d in await deliveries(engine, outbound.data.outbound_id)]
    assert steps == ["accepted", "sent", "delivered", "read"]


async def test_a_batch_of_statuses_is_applied_in_order_in_one_transaction(
    engine: AsyncEngine, events: EventFactory
) -> None:
    """A customer's queued statuses reach the handler together (the consumer folds them):
    each is applied in order, a repeated one is dropped, and a redelivered batch changes
    nothing."""
    to = new_wa_id()
    outbound, wamid = await sent_once(engine, events, FakeGraphApi(), to)
    deps = deps_for(engine, events, FakeGraphApi())
    sent = events.status(wamid, "sent", to)
    batch = [sent, sent, events.status(wamid, "delivered", to), events.status(wamid, "read", to)]

    await handle_statuses(batch, deps)
    await handle_statuses(batch, deps)

    assert (await outbound_row(engine, outbound.data.outbound_id)).state == "read"
    steps = [d.status for d in await deliveries(engine, outbound.data.outbound_id)]
    assert steps == ["accepted", "sent", "delivered", "read"]


async def test_a_delivered_after_read_does_not_regress_and_duplicates_are_dropped(
    engine: AsyncEngine, events: EventFactory
) -> None:
    to = new_wa_id()
    outbound, wamid = await sent_once(engine, events, FakeGraphApi(), to)
    deps = deps_for(engine, events, FakeGraphApi())
    read = events.status(wamid, "read", to)

    await handle_status_updated(read, deps)
    await handle_status_updated(events.status(wamid, "delivered", to), deps)
    await handle_status_updated(events.status(wamid, "read", to), deps)

    assert (await outbound_row(engine, outbound.data.outbound_id)).state == "read"
    steps = [d.status for d in await deliveries(engine, outbound.data.outbound_id)]
    assert steps == ["accepted", "read"]
    async with session_factory(engine)() as session:
        statement = select(DeliveryStatusRecord).where(DeliveryStatusRecord.wamid == wamid)
        recorded = (await session.exec(statement)).all()
    assert sorted((r.status, r.applied) for r in recorded) == [
        ("delivered", False),
        ("read", True),
    ]


async def test_failed_is_terminal_and_a_late_delivered_is_recorded_only(
    engine: AsyncEngine, events: EventFactory
) -> None:
    to = new_wa_id()
    outbound, wamid = await sent_once(engine, events, FakeGraphApi(), to)
    deps = deps_for(engine, events, FakeGraphApi())

    await handle_status_updated(events.status(wamid, "failed", to, error_code=131026), deps)
    await handle_status_updated(events.status(wamid, "delivered", to), deps)

    row = await outbound_row(engine, outbound.data.outbound_id)
    assert (row.state, row.error_code) == ("failed", 131026)
    steps = [(d.status, d.error_code) for d in await deliveries(engine, outbound.data.outbound_id)]
    assert steps == [("accepted", None), ("failed", 131026)]
    async with session_factory(engine)() as session:
        late = await session.get(DeliveryStatusRecord, (wamid, "delivered"))
    assert late is not None
    assert not late.applied


async def test_a_status_for_an_unknown_wamid_is_recorded_not_an_error(
    engine: AsyncEngine, events: EventFactory
) -> None:
    deps = deps_for(engine, events, FakeGraphApi())

    await handle_status_updated(events.status("wamid.NOBODY", "delivered", new_wa_id()), deps)

    async with session_factory(engine)() as session:
        parked = await session.get(DeliveryStatusRecord, ("wamid.NOBODY", "delivered"))
    assert parked is not None
    assert parked.outbound_id is None


async def test_a_status_that_beats_the_send_commit_is_applied_when_the_wamid_is_recorded(
    engine: AsyncEngine, events: EventFactory
) -> None:
    to = new_wa_id()
    deps = deps_for(engine, events, FakeGraphApi())
    await handle_status_updated(
        events.status("wamid.EARLY", "delivered", to, timestamp=utc_now()), deps
    )

    outbound, _ = await sent_once(engine, events, FakeGraphApi(Accepted("wamid.EARLY")), to)

    assert (await outbound_row(engine, outbound.data.outbound_id)).state == "delivered"
    steps = [d.status for d in await deliveries(engine, outbound.data.outbound_id)]
    assert steps == ["accepted", "delivered"]


async def test_a_status_from_another_tenant_never_touches_the_message(
    engine: AsyncEngine, events: EventFactory
) -> None:
    to = new_wa_id()
    outbound, wamid = await sent_once(engine, events, FakeGraphApi(), to)

    await handle_status_updated(
        events.status(wamid, "read", to, tenant_id="intruder"),
        deps_for(engine, events, FakeGraphApi()),
    )

    assert (await outbound_row(engine, outbound.data.outbound_id)).state == "accepted"
