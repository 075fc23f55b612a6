"""Delivery reports on a real (SQLite) schema: a reply's status moves forward only, within its
tenant, a batch is recorded in order once, and a reply that did not reach the customer hands
the conversation to people (a failed operator reply leaves it with the operator)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bancone_agent.adapters.tables import (
    ConversationRecord,
    FeedEventRecord,
    MessageRecord,
)
from bancone_agent.bootstrap import sessions_of
from bancone_agent.delivery_handlers import handle_delivery, handle_delivery_batch
from bancone_agent.domain.delivery import advances, needs_template
from bancone_agent.domain.operators import delivery_label
from bancone_agent.domain.turn import outbound_id_for
from bancone_agent.handlers import AgentDeps, handle_inbound
from bancone_contracts import CONVERSATION
from bancone_contracts.events.conversation import ConversationChanged
from bancone_contracts.events.delivery import DeliveryResult, DeliveryUpdated
from services.agent.tests.support.handlers import (
    TENANT,
    WA_ID,
    inbound,
    outbox,
    rows,
)
from services.agent.tests.support.outbox import staged

pytestmark = pytest.mark.unit


def delivery(
    outbound_id: uuid.UUID, status: Any, *, tenant_id: str = TENANT, wamid: str | None = None
) -> DeliveryUpdated:
    return DeliveryUpdated.new(
        tenant_id=tenant_id,
        source="notifier",
        data=DeliveryResult(
            outbound_id=outbound_id,
            customer_id=WA_ID,
            wamid=wamid,
            status=status,
            occurred_at=datetime.now(UTC),
        ),
    )


async def test_delivery_updates_move_our_message_forward_only_within_its_tenant(
    deps: AgentDeps, engine: AsyncEngine
) -> None:
    event = inbound("Ciao")
    await handle_inbound(event, deps)
    outbound_id = outbound_id_for(event.id)

    await handle_delivery(delivery(outbound_id, "accepted", wamid="wamid.out"), deps)
    await handle_delivery(delivery(outbound_id, "read"), deps)
    await handle_delivery(delivery(outbound_id, "delivered"), deps)
    await handle_delivery(delivery(outbound_id, "failed", tenant_id="other-shop"), deps)

    [out] = [m for m in await rows(engine, MessageRecord) if m.direction == "out"]
    assert (out.delivery_status, out.wamid, out.delivery_error) == ("read", "wamid.out", None)


async def test_a_batch_of_reports_is_recorded_in_order_once_each(
    deps: AgentDeps, engine: AsyncEngine
) -> None:
    """A reply's reports folded into one batch (the consumer queues them per conversation),
    one of them a redelivery of a report handled before: each moves the message forward once,
    in order, and the feed announces each fresh change once."""
    event = inbound("Ciao")
    await handle_inbound(event, deps)
    outbound_id = outbound_id_for(event.id)
    accepted = delivery(outbound_id, "accepted", wamid="wamid.out")
    await handle_delivery(accepted, deps)
    before = len(await rows(engine, FeedEventRecord))

    batch = [
        accepted,
        delivery(outbound_id, "sent"),
        delivery(outbound_id, "delivered"),
        delivery(outbound_id, "failed", tenant_id="other-shop"),
        delivery(outbound_id, "read"),
    ]
    await handle_delivery_batch(batch, deps)
    await handle_delivery_batch(batch, deps)  # the whole batch redelivered: nothing new

    [out] = [m for m in await rows(engine, MessageRecord) if m.direction == "out"]
    assert (out.delivery_status, out.wamid, out.delivery_error) == ("read", "wamid.out", None)
    statuses = [
        f.data["item"]["delivery_status"]
        for f in sorted(await rows(engine, FeedEventRecord), key=lambda f: f.seq)[before:]
    ]
    assert statuses == [delivery_label(s) for s in ("sent", "delivered", "read")]


def failure(outbound_id: uuid.UUID, title: str, *, tenant_id: str = TENANT) -> DeliveryUpdated:
    event = delivery(outbound_id, "failed", tenant_id=tenant_id)
    return event.model_copy(
        update={"data": event.data.model_copy(update={"error_code": 131000, "error_title": title})}
    )


async def conversation_transitions(engine: AsyncEngine) -> list[str]:
    events = await staged(engine, CONVERSATION)
    return [e.data.transition for e in events if isinstance(e, ConversationChanged)]


async def test_an_assistant_reply_that_did_not_reach_the_customer_hands_the_conversation_to_people(
    deps: AgentDeps, engine: AsyncEngine
) -> None:
    event = inbound("Ciao")
    await handle_inbound(event, deps)
    outbound_id = outbound_id_for(event.id)
    unknown = "outcome unknown (interrupted); not resent"

    await handle_delivery(failure(outbound_id, unknown, tenant_id="other-shop"), deps)
    assert await conversation_transitions(engine) == ["opened"], "another tenant's report"
    await handle_delivery(failure(outbound_id, unknown), deps)
    await handle_delivery(failure(outbound_id, unknown), deps)  # reported again: no new event

    [conversation] = await rows(engine, ConversationRecord)
    assert conversation.state == "waiting_for_human"
    assert conversation.escalation_reason == f"reply not delivered: 131000 {unknown}"
    assert await conversation_transitions(engine) == ["opened", "escalated"]
    assert len(await outbox(engine)) == 1, "no holding message beside a reply of unknown fate"


async def test_a_failed_operator_reply_leaves_the_conversation_with_the_operator(
    deps: AgentDeps, engine: AsyncEngine
) -> None:
    event = inbound("Ciao")
    await handle_inbound(event, deps)
    outbound_id = outbound_id_for(event.id)
    async with sessions_of(engine)() as session, session.begin():
        reply = await session.scalar(
            sa.select(MessageRecord).where(col(MessageRecord.outbound_id) == outbound_id)
        )
        assert reply is not None
        reply.sender = "human"

    await handle_delivery(failure(outbound_id, "Re-engagement message"), deps)

    [conversation] = await rows(engine, ConversationRecord)
    [out] = [m for m in await rows(engine, MessageRecord) if m.direction == "out"]
    assert (conversation.state, out.delivery_status) == ("bot", "failed")
    assert await conversation_transitions(engine) == ["opened"]


@pytest.mark.parametrize(
    ("current", "new", "expected"),
    [
        ("requested", "accepted", True),
        ("sent", "read", True),
        ("read", "delivered", False),
        ("sent", "failed", True),
        ("delivered", "failed", False),
        ("failed", "sent", False),
        ("sent", "sent", False),
    ],
)
def test_delivery_status_order(current: str, new: str, expected: bool) -> None:
    assert advances(current, new) is expected


@pytest.mark.parametrize(
    ("status", "error", "expected"),
    [
        ("failed", "131047 outside the 24-hour window, a template is needed", True),
        ("failed", "131047 Re-engagement message", True),
        ("failed", "131047", True),
        ("failed", "131026 Message undeliverable", False),
        ("failed", "1310470 something else", False),
        ("failed", None, False),
        ("sent", "131047 Re-engagement message", False),
        (None, None, False),
    ],
)
def test_a_failure_for_the_closed_window_needs_a_template(
    status: str | None, error: str | None, expected: bool
) -> None:
    assert needs_template(status, error) is expected
