"""`bancone.whatsapp-updates.v1` as the agent reads it: real PostgreSQL, real Kafka.

The owner answering from the WhatsApp Business app holds the conversation for a person (the
assistant stays silent after it), delivered twice it counts once; account notices are listed
for the tenant's operators only.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from bancone_agent.bootstrap import build_app
from bancone_agent.entrypoints.consumers import Subscription
from bancone_agent.settings import AgentSettings
from bancone_contracts import AGENT_TURNS, CONVERSATION, OUTBOUND
from bancone_contracts.events.agent_turn import AgentTurnCompleted
from bancone_contracts.events.conversation import ConversationChanged
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_contracts.events.whatsapp_update import (
    AccountNotice,
    BusinessEcho,
    WhatsAppUpdate,
    WhatsAppUpdateData,
    WhatsAppUpdateReceived,
)
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.testing.tokens import TokenSigner, bearer
from services.agent.tests.support.service import (
    PHONE_NUMBER_ID,
    Cellar,
    TopicTail,
    inbound,
    publish,
    running,
)

pytestmark = pytest.mark.service

WA_ID = "393331230002"
SIGNER = TokenSigner()


def update(tenant_id: str, what: WhatsAppUpdate) -> WhatsAppUpdateReceived:
    return WhatsAppUpdateReceived.new(
        tenant_id=tenant_id, source="gateway", data=WhatsAppUpdateData(update=what)
    )


async def test_a_business_app_echo_holds_the_conversation_and_notices_are_listed(
    postgres_url: str, kafka_bootstrap: str, new_topic: Callable[..., Awaitable[str]]
) -> None:
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    tenant_id, other = f"shop-{uuid.uuid4().hex[:10]}", f"shop-{uuid.uuid4().hex[:10]}"
    inbound_topic = await new_topic(partitions=1, name_prefix="agent-in")
    updates_topic = await new_topic(partitions=1, name_prefix="agent-updates")
    app = build_app(
        AgentSettings(database_url=postgres_url, kafka_bootstrap_servers=kafka_bootstrap),
        tools_for=lambda _: Cellar(),
        subscriptions=[
            Subscription(InboundMessageReceived, inbound_topic, f"g-{tenant_id}", fold=True),
            Subscription(WhatsAppUpdateReceived, updates_topic, f"g-{tenant_id}-updates"),
        ],
    )
    SIGNER.install(app, "agent")
    viewer = bearer(SIGNER.operator(tenant_id, "viewer"))
    echo = update(
        tenant_id,
        BusinessEcho(
            message_id=f"wamid.{uuid.uuid4().hex}",
            phone_number_id=PHONE_NUMBER_ID,
            customer_wa_id=f"+{WA_ID}",
            timestamp=datetime.now(UTC),
            message_type="text",
            text="Ciao, ci penso io!",
        ),
    )
    notice = update(
        tenant_id,
        AccountNotice(
            field="phone_number_quality_update",
            waba_id="102290129340398",
            event="FLAGGED",
            quality_score="RED",
            current_limit="TIER_1K",
        ),
    )
    question = inbound(tenant_id, WA_ID, "Avete un Chianti?")

    async with (
        TopicTail(kafka_bootstrap, [OUTBOUND, CONVERSATION, AGENT_TURNS], tenant_id) as tail,
        running(app) as http,
    ):
        await publish(kafka_bootstrap, updates_topic, [echo, echo, notice])
        await tail.until(
            lambda t: "human_took_over" in [e.data.transition for e in t.of(ConversationChanged)]
        )
        await publish(kafka_bootstrap, inbound_topic, [question])
        await tail.until(lambda t: bool(t.of(AgentTurnCompleted)))
        conversations = await http.get(
            f"/v1/tenants/{tenant_id}/conversations", params={"state": "human"}, headers=viewer
        )
        [held] = conversations.json()["items"]
        view = await http.get(
            f"/v1/tenants/{tenant_id}/conversations/{held['id']}/messages", headers=viewer
        )
        notices = await http.get(f"/v1/tenants/{tenant_id}/whatsapp-notices", headers=viewer)
        theirs = await http.get(
            f"/v1/tenants/{other}/whatsapp-notices",
            headers=bearer(SIGNER.operator(other, "viewer")),
        )

    assert held["operator_id"] == "business_app"
    assert [(m["direction"], m["sender"], m["text"]) for m in view.json()["items"]] == [
        ("in", "customer", "Avete un Chianti?"),
        ("out", "human", "Ciao, ci penso io!"),
    ], "newest first"
    assert [e.data.outcome for e in tail.of(AgentTurnCompleted)] == ["muted"]
    assert tail.of(OutboundMessageRequested) == [], "the assistant stays silent"
    changes = [(e.data.transition, e.data.actor) for e in tail.of(ConversationChanged)]
    assert changes == [("opened", "customer"), ("human_took_over", "operator")]
    assert [(n["field"], n["event"], n["notice"]["quality_score"]) for n in notices.json()] == [
        ("phone_number_quality_update", "FLAGGED", "RED")
    ]
    assert theirs.json() == []
