"""Dead letters on the agent's real schema (SQLite, as `make run` uses): escalation once per
event, conversations already with people left alone, undecodable records kept, and a
replayed message recorded without a reply."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col

from bancone_agent.adapters.tables import ConversationRecord, DeadLetterRecord, MessageRecord
from bancone_agent.bootstrap import sessions_of
from bancone_agent.dead_letter_handlers import handle_inbound_dead_letter, replay_dead_letter
from bancone_agent.domain import OfflineAssistant
from bancone_agent.domain.dead_letters import (
    DeadLetterAlreadyReplayedError,
    DeadLetterNotFoundError,
    ReplayDeadLetter,
)
from bancone_agent.handlers import AgentDeps, Shop, handle_inbound
from bancone_contracts.events.inbound import (
    Customer,
    InboundMessage,
    InboundMessageReceived,
    TextContent,
)
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_kit.messaging.dead_letter import DeadLetter
from services.agent.tests.support.outbox import staged_replies
from services.agent.tests.support.service import Cellar

pytestmark = pytest.mark.unit

TENANT = "enoteca"


def message(wa_id: str, text: str) -> InboundMessageReceived:
    return InboundMessageReceived.new(
        tenant_id=TENANT,
        source="gateway",
        data=InboundMessage(
            message_id=f"wamid.{uuid.uuid4().hex}",
            phone_number_id="106540352242922",
            customer=Customer(wa_id=wa_id),
            timestamp=datetime.now(UTC),
            content=TextContent(body=text),
        ),
    )


def letter_of(payload: bytes, key: str | None, offset: int) -> DeadLetter:
    return DeadLetter(
        topic="bancone.inbound.v1.dlq",
        partition=0,
        offset=offset,
        source_topic="bancone.inbound.v1",
        key=key,
        headers={"tenant_id": TENANT},
        payload=payload,
        error_type="RuntimeError",
        error="boom",
        attempts=5,
    )


def deps_on(engine: AsyncEngine) -> AgentDeps:
    return AgentDeps(
        sessions=sessions_of(engine),
        assistant=OfflineAssistant(),
        tools_for=lambda _: Cellar(),
        shop_for=lambda _: Shop("Enoteca Prova"),
    )


async def replies(engine: AsyncEngine) -> list[OutboundMessageRequested]:
    return await staged_replies(engine)


async def test_a_dead_letter_escalates_once_and_its_replay_is_recorded_without_reply(
    engine: AsyncEngine,
) -> None:
    deps = deps_on(engine)
    event = message("393331234001", "Ciao, avete vino rosso?")
    first = letter_of(event.to_bytes(), event.key(), offset=0)

    await handle_inbound_dead_letter(first, deps)
    await handle_inbound_dead_letter(first, deps)  # the same record, redelivered
    await handle_inbound_dead_letter(letter_of(event.to_bytes(), event.key(), 1), deps)

    [holding] = await replies(engine)
    assert holding.data.reply_to == event.data.message_id
    async with deps.sessions() as session:
        conversation = await session.scalar(sa.select(ConversationRecord))
        row = await session.get(DeadLetterRecord, (TENANT, event.id))
    assert conversation is not None
    assert conversation.state == "waiting_for_human"
    assert row is not None
    assert (row.times_dead_lettered, row.conversation_id) == (2, conversation.id)

    await replay_dead_letter(ReplayDeadLetter(TENANT, event.id, "ops"), deps)
    with pytest.raises(DeadLetterAlreadyReplayedError):
        await replay_dead_letter(ReplayDeadLetter(TENANT, event.id, "ops"), deps)
    with pytest.raises(DeadLetterNotFoundError):
        await replay_dead_letter(ReplayDeadLetter("other-shop", event.id, "ops"), deps)
    await handle_inbound(event, deps)  # what the consumer does with the replayed record

    assert len(await replies(engine)) == 1, "no second reply"
    async with deps.sessions() as session:
        stored = await session.scalar(
            sa.select(sa.func.count()).where(col(MessageRecord.wamid) == event.data.message_id)
        )
    assert stored == 1


async def test_a_conversation_already_with_people_gets_no_holding_message(
    engine: AsyncEngine,
) -> None:
    deps = deps_on(engine)
    ask = message("393331234002", "voglio parlare con una persona")
    await handle_inbound(ask, deps)  # escalated by the rules: one holding message
    dead = message("393331234002", "allora?")
    await handle_inbound_dead_letter(letter_of(dead.to_bytes(), dead.key(), 0), deps)
    assert len(await replies(engine)) == 1


async def test_an_undecodable_dead_letter_is_kept_without_escalation(engine: AsyncEngine) -> None:
    deps = deps_on(engine)
    await handle_inbound_dead_letter(letter_of(b"not json", f"{TENANT}:39333", 7), deps)
    async with deps.sessions() as session:
        [row] = (await session.scalars(sa.select(DeadLetterRecord))).all()
        conversations = await session.scalar(
            sa.select(sa.func.count()).select_from(ConversationRecord)
        )
    assert (row.tenant_id, row.event_type, row.payload) == (TENANT, None, b"not json")
    assert conversations == 0
    assert await replies(engine) == []
