"""The agent's `/metrics`: HTTP series from the kit, turn latency recorded around every
assistant turn by the handler, LLM tokens taken from the turn's run record."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_agent.bootstrap import build_app, sessions_of
from bancone_agent.domain import (
    Assistant,
    Intent,
    KnowledgeHit,
    OfflineAssistant,
    Product,
    ProductQuery,
    Reply,
    ShopTools,
    Turn,
)
from bancone_agent.domain.run import TurnOutcome, TurnRun
from bancone_agent.handlers import AgentDeps, Shop, handle_inbound
from bancone_agent.metrics import assistant_name, observe_turn
from bancone_agent.settings import AgentSettings
from bancone_contracts.events.inbound import (
    Customer,
    InboundMessage,
    InboundMessageReceived,
    TextContent,
)
from bancone_kit.testing.service_checks import assert_http_series_served

pytestmark = pytest.mark.unit

WINE = Product(id=str(uuid.uuid4()), sku="CHI-1", name="Chianti", price=Decimal("14.50"), stock=3)


def turns(assistant: str, outcome: str) -> float:
    labels = {"assistant": assistant, "outcome": outcome}
    return REGISTRY.get_sample_value("bancone_agent_turn_seconds_count", labels) or 0.0


def tokens(kind: str, model: str) -> float:
    labels = {"kind": kind, "model": model}
    return REGISTRY.get_sample_value("bancone_agent_llm_tokens_total", labels) or 0.0


class Tools:
    async def search_products(self, query: ProductQuery) -> list[Product]:
        return [WINE]

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        return []

    async def get_product(self, product_id: str) -> Product | None:
        return WINE if product_id == WINE.id else None

    async def list_offers(self) -> list[KnowledgeHit]:
        return []


class CountingLlmAssistant:
    """Stands for the LLM assistant: it only fills the run record, never the counters."""

    async def respond(self, turn: Turn, tools: ShopTools) -> Reply | None:
        run = TurnRun(
            assistant="llm", model="test-model-metrics", prompt_tokens=120, completion_tokens=30
        )
        return Reply(text="Ciao", language="it", intent=Intent.GREETING, run=run)


class BrokenAssistant:
    async def respond(self, turn: Turn, tools: ShopTools) -> Reply | None:
        raise RuntimeError("model unreachable")


def deps_with(engine: AsyncEngine, assistant: Assistant) -> AgentDeps:
    return AgentDeps(
        sessions=sessions_of(engine),
        assistant=assistant,
        tools_for=lambda tenant_id: Tools(),
        shop_for=lambda tenant_id: Shop(name="Enoteca Prova"),
    )


def inbound(text: str) -> InboundMessageReceived:
    return InboundMessageReceived.new(
        tenant_id="enoteca",
        source="gateway",
        data=InboundMessage(
            message_id=f"wamid.{uuid.uuid4().hex}",
            phone_number_id="106540352242922",
            customer=Customer(wa_id="393331234567"),
            timestamp=datetime.now(UTC),
            content=TextContent(body=text),
        ),
    )


async def test_the_handler_times_each_offline_turn(engine: AsyncEngine) -> None:
    before = turns("offline", "answered")
    await handle_inbound(inbound("Vorrei un vino rosso"), deps_with(engine, OfflineAssistant()))
    assert turns("offline", "answered") == before + 1
    assert tokens("prompt", "none") == 0, "the offline assistant uses no model"


async def test_llm_turns_count_their_tokens_once_by_kind_and_model(engine: AsyncEngine) -> None:
    before = turns("llm", TurnOutcome.ANSWERED.value)
    await handle_inbound(inbound("Buongiorno"), deps_with(engine, CountingLlmAssistant()))
    assert turns("llm", "answered") == before + 1
    assert tokens("prompt", "test-model-metrics") == 120
    assert tokens("completion", "test-model-metrics") == 30


async def test_a_failing_turn_is_timed_as_an_error(engine: AsyncEngine) -> None:
    before = turns("broken", "error")
    await handle_inbound(inbound("Ciao"), deps_with(engine, BrokenAssistant()))
    assert turns("broken", "error") == before + 1


def test_turn_labels_without_a_run_record_follow_the_reply() -> None:
    assert assistant_name(OfflineAssistant()) == "offline"
    before = turns("rules", "escalated")
    with observe_turn("rules") as timing:
        timing.reply = Reply(
            text="Un collega", language="it", intent=Intent.HUMAN_REQUEST, wants_human=True
        )
    assert turns("rules", "escalated") == before + 1
    before = turns("rules", "no_reply")
    with observe_turn("rules"):
        pass
    assert turns("rules", "no_reply") == before + 1


async def test_agent_metrics_endpoint_serves_http_and_turn_series() -> None:
    app = build_app(AgentSettings(database_url="sqlite+aiosqlite:///:memory:"))
    scrape = await assert_http_series_served(  # no admin token: the status is in the labels
        app, "GET", "/v1/tenants/demo/usage", route="/v1/tenants/{tenant_id}/usage"
    )
    assert "# TYPE bancone_agent_turn_seconds histogram" in scrape.text
    assert "# TYPE bancone_agent_llm_tokens_total counter" in scrape.text
