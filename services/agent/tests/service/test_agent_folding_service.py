"""Messages a customer sends while their turn is being computed become the next turn — one
answer, not one each — on real Kafka and PostgreSQL. No timing: the first turn is held until
the keyed consumer has the three follow-ups queued for the conversation."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable

import pytest

from bancone_agent.bootstrap import build_app
from bancone_agent.domain import OfflineAssistant
from bancone_agent.domain.turn import outbound_id_for
from bancone_agent.entrypoints.consumers import Subscription
from bancone_agent.settings import AgentSettings
from bancone_contracts import AGENT_TURNS
from bancone_contracts.events.agent_turn import AgentTurnCompleted
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_kit.db.migrations import upgrade_database
from services.agent.tests.support.outbox import staged_replies_at
from services.agent.tests.support.service import (
    Cellar,
    GatedAssistant,
    TopicTail,
    inbound,
    publish,
    running,
)

pytestmark = pytest.mark.service

WA_ID = "393335550001"


async def test_three_quick_messages_while_a_turn_runs_get_one_answer_not_three(
    postgres_url: str,
    kafka_bootstrap: str,
    new_topic: Callable[..., Awaitable[str]],
) -> None:
    tenant_id = f"shop-{uuid.uuid4().hex[:10]}"
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    topic = await new_topic(partitions=1, name_prefix="agent-fold")
    gated = GatedAssistant(OfflineAssistant())
    gated.hold("Buongiorno")
    app = build_app(
        AgentSettings(database_url=postgres_url, kafka_bootstrap_servers=kafka_bootstrap),
        assistant=gated,
        tools_for=lambda _: Cellar(),
        subscriptions=[Subscription(InboundMessageReceived, topic, f"g-{tenant_id}", fold=True)],
    )
    hello = inbound(tenant_id, WA_ID, "Buongiorno")
    quick = [
        inbound(tenant_id, WA_ID, "cerco un vino rosso"),
        inbound(tenant_id, WA_ID, "sotto i 20 euro"),
        inbound(tenant_id, WA_ID, "grazie!"),
    ]
    key = hello.key().encode()

    async with TopicTail(kafka_bootstrap, [AGENT_TURNS], tenant_id) as tail, running(app):
        [inbound_consumer] = app.state.dispatchers
        await publish(kafka_bootstrap, topic, [hello])
        await gated.arrived("Buongiorno")
        await publish(kafka_bootstrap, topic, quick)
        async with asyncio.timeout(60):
            while inbound_consumer.pending(key) < 1 + len(quick):
                await asyncio.sleep(0.02)
        gated.release("Buongiorno")
        await tail.until(
            lambda t: any(
                quick[-1].data.message_id in e.data.message_ids for e in t.of(AgentTurnCompleted)
            )
        )

    assert [t.text for t in gated.turns] == [
        "Buongiorno",
        "cerco un vino rosso\nsotto i 20 euro\ngrazie!",
    ]
    assert gated.turns[1].history == ("cerco un vino rosso", "sotto i 20 euro")
    replies = await staged_replies_at(postgres_url, tenant_id)
    assert [r.data.outbound_id for r in replies] == [
        outbound_id_for(hello.id),
        outbound_id_for(quick[-1].id),
    ]
    assert [e.data.message_ids for e in tail.of(AgentTurnCompleted)] == [
        (hello.data.message_id,),
        tuple(m.data.message_id for m in quick),
    ]
