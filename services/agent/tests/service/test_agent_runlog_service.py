"""The run log on real PostgreSQL and Kafka: every turn is a row and an `agent.turn.completed`
event with the configuration version, model, tokens, cost and tool calls, summed per day.

The LLM is the scripted OpenAI-compatible server: it asks for `search_products`, then answers
with the tool's lines, so the turn has a real tool call and real token counts.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlmodel import col

from bancone_agent.adapters.config_store import ConfigSecrets, update_config
from bancone_agent.adapters.tables import AgentTurnRecord
from bancone_agent.bootstrap import build_app, sessions_of
from bancone_agent.domain.config import AgentConfig
from bancone_agent.entrypoints.consumers import Subscription
from bancone_agent.handlers import dev_config_box
from bancone_agent.settings import AgentSettings, ModelPrice
from bancone_contracts import AGENT_TURNS, OUTBOUND
from bancone_contracts.events.agent_turn import AgentTurnCompleted
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_kit.db import create_engine
from bancone_kit.db.migrations import upgrade_database
from bancone_kit.testing.tokens import TokenSigner, bearer
from bancone_scripted_llm import ReplySpec, Rule, Script, ToolCallSpec, running_scripted_llm
from services.agent.tests.support.service import (
    Cellar,
    TopicTail,
    body_of,
    inbound,
    publish,
    running,
)

pytestmark = pytest.mark.service

WA_ID = "393337770001"
SIGNER = TokenSigner()
"""Signs the operator tokens the conversation routes check, as the gateway would."""


SCRIPT = Script(
    rules=[
        Rule(
            role="user",
            match=r"sotto i (?P<max>\d+)",
            reply=ReplySpec(
                tool_calls=[
                    ToolCallSpec(
                        name="search_products",
                        arguments={"text": "vino rosso", "max_price": "{max}"},
                    )
                ]
            ),
        ),
        Rule(role="tool", match="Chianti", reply=ReplySpec(content="Ti consiglio:\n{tool_lines}")),
    ],
    default=ReplySpec(content="Come posso aiutarti?"),
)


async def test_each_turn_is_logged_published_and_summed_per_day(
    postgres_url: str,
    kafka_bootstrap: str,
    new_topic: Callable[..., Awaitable[str]],
) -> None:
    tenant_id = f"shop-{uuid.uuid4().hex[:10]}"
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    engine = create_engine(postgres_url)
    try:
        version = await update_config(
            sessions_of(engine),
            tenant_id,
            {"shop_name": "Enoteca Prova"},
            "test",
            fallback=AgentConfig(),
            secrets=ConfigSecrets(dev_config_box()),
        )
    finally:
        await engine.dispose()
    topic = await new_topic(partitions=1, name_prefix="agent-runlog")
    budget = inbound(tenant_id, WA_ID, "Vorrei un vino rosso sotto i 20 euro")
    person = inbound(tenant_id, WA_ID, "voglio parlare con una persona")

    with running_scripted_llm(SCRIPT) as llm:
        settings = AgentSettings(
            database_url=postgres_url,
            kafka_bootstrap_servers=kafka_bootstrap,
            llm_base_url=llm.base_url,
            llm_model="scripted",
            llm_prices={"scripted": ModelPrice(prompt=Decimal("0.5"), completion=Decimal("1.5"))},
        )
        app = build_app(
            settings,
            tools_for=lambda _: Cellar(),
            subscriptions=[
                Subscription(InboundMessageReceived, topic, f"g-{tenant_id}", fold=True)
            ],
        )
        SIGNER.install(app, "agent")
        operator = bearer(SIGNER.operator(tenant_id, "viewer"))
        async with (
            TopicTail(kafka_bootstrap, [OUTBOUND, AGENT_TURNS], tenant_id) as tail,
            running(app) as http,
        ):
            await publish(kafka_bootstrap, topic, [budget])
            await tail.until(lambda t: len(t.of(AgentTurnCompleted)) == 1)
            await publish(kafka_bootstrap, topic, [person])
            await tail.until(
                lambda t: (
                    len(t.of(AgentTurnCompleted)) == 2 and len(t.of(OutboundMessageRequested)) == 2
                )
            )
            today = datetime.now(UTC).date().isoformat()
            usage = (
                await http.get(
                    f"/v1/tenants/{tenant_id}/usage", params={"date": today}, headers=operator
                )
            ).json()
            other_day = (
                await http.get(
                    f"/v1/tenants/{tenant_id}/usage",
                    params={"date": "2020-01-01"},
                    headers=operator,
                )
            ).json()

    llm_turn, rules_turn = (e.data for e in tail.of(AgentTurnCompleted))
    assert "Chianti Classico DOCG" in body_of(tail.of(OutboundMessageRequested)[0])
    assert (llm_turn.assistant, llm_turn.model, llm_turn.outcome) == ("llm", "scripted", "answered")
    assert llm_turn.config_version == version == 1
    assert llm_turn.prompt_tokens > 0
    assert llm_turn.completion_tokens > 0
    expected_cost = (
        Decimal("0.5") * llm_turn.prompt_tokens + Decimal("1.5") * llm_turn.completion_tokens
    ) / 1000
    assert llm_turn.estimated_cost == expected_cost.quantize(Decimal("0.000001"))
    [call] = llm_turn.tool_calls
    assert call.name == "search_products"
    assert call.arguments["max_price"] in ("20", 20, "20.00")
    assert call.result_items == 1
    assert call.result_bytes > 0
    assert llm_turn.message_ids == (budget.data.message_id,)
    assert (rules_turn.assistant, rules_turn.outcome) == ("rules", "escalated")
    assert rules_turn.escalation_reason == "customer_request"

    engine = create_engine(postgres_url)
    try:
        async with sessions_of(engine)() as session:
            rows = (
                await session.scalars(
                    sa.select(AgentTurnRecord)
                    .where(col(AgentTurnRecord.tenant_id) == tenant_id)
                    .order_by(col(AgentTurnRecord.created_at))
                )
            ).all()
    finally:
        await engine.dispose()
    assert [r.id for r in rows] == [llm_turn.turn_id, rules_turn.turn_id]
    assert rows[0].estimated_cost == llm_turn.estimated_cost
    assert rows[0].tool_calls[0]["name"] == "search_products"

    tokens = llm_turn.prompt_tokens + llm_turn.completion_tokens
    assert (usage["turns"], usage["total_tokens"]) == (2, tokens)
    assert Decimal(usage["estimated_cost"]) == llm_turn.estimated_cost
    assert usage["by_outcome"]["answered"]["turns"] == 1
    assert usage["by_outcome"]["escalated"] == {
        "turns": 1,
        "prompt_tokens": 0,
        "completion_tokens": 0,
        "total_tokens": 0,
        "estimated_cost": "0.000000",
    }
    assert other_day["turns"] == 0
