"""The notifier's handlers on a real database (PostgreSQL and SQLite) with a fake Graph API.

What they prove: each outbound id is sent at most once, results are recorded with a delivery
event in the same transaction, and statuses move the lifecycle forward only.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_contracts.events.outbound import OutboundText
from bancone_kit.db import session_factory
from bancone_notifier.adapters.tables import (
    ChannelRecord,
    OutboundMessageRecord,
)
from bancone_notifier.domain.bodies import send_body
from bancone_notifier.domain.sending import Accepted, GraphError, Rejected, Unknown
from bancone_notifier.handlers import (
    handle_channel_changed,
)
from bancone_notifier.outbound_sending import ChannelUnavailableError, handle_outbound_requested
from services.notifier.tests.support import EventFactory, FakeGraphApi, new_wa_id
from services.notifier.tests.support.handlers import (
    deliveries,
    deps_for,
    outbound_row,
    sent_once,
)

pytestmark = pytest.mark.service


async def test_an_operators_reply_is_sent_like_the_assistants(
    engine: AsyncEngine, events: EventFactory
) -> None:
    """The console's human replies (sender human, operator_id) take the same path."""
    graph = FakeGraphApi()
    deps = deps_for(engine, events, graph)
    await handle_channel_changed(events.channel(), deps)
    to = new_wa_id()
    outbound = events.outbound(to, OutboundText(body="Sono Giulia"), operator_id="giulia")

    await handle_outbound_requested(outbound, deps)

    [call] = graph.calls
    assert (call.body["to"], call.body["text"]["body"]) == (to, "Sono Giulia")
    assert [d.status for d in await deliveries(engine, outbound.data.outbound_id)] == ["accepted"]


# --- channels -------------------------------------------------------------------------------


async def test_a_channel_is_kept_with_its_token_sealed_as_received(
    engine: AsyncEngine, events: EventFactory
) -> None:
    event = events.channel()

    await handle_channel_changed(event, deps_for(engine, events, FakeGraphApi()))

    async with session_factory(engine)() as session:
        row = await session.get(ChannelRecord, events.phone_number_id)
    assert row is not None
    assert (row.tenant_id, row.status) == ("demo", "active")
    assert row.access_token_ciphertext == event.data.access_token_ciphertext
    assert row.key_id == event.data.key_id
    assert events.access_token not in (row.access_token_ciphertext or "")


async def test_an_older_channel_event_does_not_overwrite_a_newer_one(
    engine: AsyncEngine, events: EventFactory
) -> None:
    deps = deps_for(engine, events, FakeGraphApi())
    newer = events.channel("rotated", access_token="EAAG-new")
    older = events.channel("registered", access_token="EAAG-old", time=newer.time - timedelta(1))

    await handle_channel_changed(newer, deps)
    await handle_channel_changed(older, deps)

    graph = FakeGraphApi()
    await handle_outbound_requested(events.outbound(new_wa_id()), deps_for(engine, events, graph))
    assert [c.access_token for c in graph.calls] == ["EAAG-new"]


async def test_an_outbound_for_an_unknown_channel_is_retried_later_not_claimed(
    engine: AsyncEngine, events: EventFactory
) -> None:
    graph = FakeGraphApi()
    outbound = events.outbound(new_wa_id())

    with pytest.raises(ChannelUnavailableError):
        await handle_outbound_requested(outbound, deps_for(engine, events, graph))

    async with session_factory(engine)() as session:
        assert await session.get(OutboundMessageRecord, outbound.data.outbound_id) is None
    assert graph.calls == []


async def test_a_disabled_channel_fails_the_message_without_sending(
    engine: AsyncEngine, events: EventFactory
) -> None:
    graph = FakeGraphApi()
    deps = deps_for(engine, events, graph)
    await handle_channel_changed(events.channel(), deps)
    await handle_channel_changed(events.channel("disabled"), deps)
    outbound = events.outbound(new_wa_id())

    await handle_outbound_requested(outbound, deps)

    assert graph.calls == []
    [failed] = await deliveries(engine, outbound.data.outbound_id)
    assert failed.status == "failed"
    assert failed.retryable is False


async def test_a_tenant_cannot_send_from_another_tenants_number(
    engine: AsyncEngine, events: EventFactory
) -> None:
    graph = FakeGraphApi()
    deps = deps_for(engine, events, graph)
    await handle_channel_changed(events.channel(tenant_id="enoteca-a"), deps)
    outbound = events.outbound(new_wa_id(), tenant_id="enoteca-b")

    await handle_outbound_requested(outbound, deps)

    assert graph.calls == []
    assert (await outbound_row(engine, outbound.data.outbound_id)).state == "failed"


# --- sends ----------------------------------------------------------------------------------


async def test_an_outbound_is_sent_once_with_its_body_and_the_channel_token(
    engine: AsyncEngine, events: EventFactory
) -> None:
    graph = FakeGraphApi(Accepted("wamid.OUT1"))
    to = new_wa_id()

    outbound, wamid = await sent_once(engine, events, graph, to)

    [call] = graph.calls
    assert call.phone_number_id == events.phone_number_id
    assert call.access_token == events.access_token
    assert call.body == send_body(outbound.data)
    row = await outbound_row(engine, outbound.data.outbound_id)
    assert (row.state, wamid, row.attempts) == ("accepted", "wamid.OUT1", 1)
    [accepted] = await deliveries(engine, outbound.data.outbound_id)
    assert (accepted.status, accepted.wamid, accepted.customer_id) == ("accepted", wamid, to)


async def test_a_redelivered_outbound_is_not_sent_again(
    engine: AsyncEngine, events: EventFactory
) -> None:
    graph = FakeGraphApi()
    outbound, _ = await sent_once(engine, events, graph, new_wa_id())

    await handle_outbound_requested(outbound, deps_for(engine, events, graph))

    assert len(graph.calls) == 1
    assert len(await deliveries(engine, outbound.data.outbound_id)) == 1


async def test_a_send_interrupted_before_its_result_was_recorded_is_unknown_not_resent(
    engine: AsyncEngine, events: EventFactory
) -> None:
    """A row still `sending` means a previous run died mid-send: never send it again."""
    graph = FakeGraphApi()
    deps = deps_for(engine, events, graph)
    await handle_channel_changed(events.channel(), deps)
    outbound = events.outbound(new_wa_id())
    async with deps.sessions() as session, session.begin():
        session.add(
            OutboundMessageRecord(
                outbound_id=outbound.data.outbound_id,
                tenant_id="demo",
                customer_id=outbound.data.customer_id,
                phone_number_id=events.phone_number_id,
                event_id=outbound.id,
                content_kind="text",
                state="sending",
                attempts=1,
            )
        )

    await handle_outbound_requested(outbound, deps)
    await handle_outbound_requested(outbound, deps)

    assert graph.calls == []
    assert (await outbound_row(engine, outbound.data.outbound_id)).state == "unknown"
    [report] = await deliveries(engine, outbound.data.outbound_id)
    assert report.status == "failed"
    assert report.retryable is False
    assert report.error_title is not None
    assert report.error_title.startswith("outcome unknown")


async def test_a_rate_limit_is_retried_into_one_accepted_send(
    engine: AsyncEngine, events: EventFactory
) -> None:
    graph = FakeGraphApi(Rejected(GraphError(429, code=130429)), Accepted("wamid.R"))

    outbound, _ = await sent_once(engine, events, graph, new_wa_id())

    assert len(graph.calls) == 2
    row = await outbound_row(engine, outbound.data.outbound_id)
    assert (row.state, row.attempts) == ("accepted", 2)
    assert [d.status for d in await deliveries(engine, outbound.data.outbound_id)] == ["accepted"]


async def test_outside_the_24h_window_the_send_fails_once_with_code_and_title(
    engine: AsyncEngine, events: EventFactory
) -> None:
    graph = FakeGraphApi(Rejected(GraphError(400, code=131047, title="Re-engagement message")))
    deps = deps_for(engine, events, graph)
    await handle_channel_changed(events.channel(), deps)
    outbound = events.outbound(new_wa_id())

    await handle_outbound_requested(outbound, deps)

    assert len(graph.calls) == 1
    row = await outbound_row(engine, outbound.data.outbound_id)
    assert (row.state, row.error_code, row.error_title) == (
        "failed",
        131047,
        "Re-engagement message",
    )
    [failed] = await deliveries(engine, outbound.data.outbound_id)
    assert (failed.status, failed.error_code, failed.retryable) == ("failed", 131047, False)


async def test_rate_limits_past_the_retry_limit_fail_as_retryable(
    engine: AsyncEngine, events: EventFactory
) -> None:
    graph = FakeGraphApi(*[Rejected(GraphError(429, code=130429)) for _ in range(3)])
    deps = deps_for(engine, events, graph)
    await handle_channel_changed(events.channel(), deps)
    outbound = events.outbound(new_wa_id())

    await handle_outbound_requested(outbound, deps)

    assert len(graph.calls) == 3
    [failed] = await deliveries(engine, outbound.data.outbound_id)
    assert (failed.status, failed.error_code, failed.retryable, failed.attempt) == (
        "failed",
        130429,
        True,
        3,
    )


async def test_a_send_whose_answer_was_lost_is_unknown_and_not_retried(
    engine: AsyncEngine, events: EventFactory
) -> None:
    graph = FakeGraphApi(Unknown("ReadTimeout"))
    deps = deps_for(engine, events, graph)
    await handle_channel_changed(events.channel(), deps)
    outbound = events.outbound(new_wa_id())

    await handle_outbound_requested(outbound, deps)
    await handle_outbound_requested(outbound, deps)

    assert len(graph.calls) == 1
    assert (await outbound_row(engine, outbound.data.outbound_id)).state == "unknown"
