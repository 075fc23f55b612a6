"""One slow conversation does not hold up the others (DESIGN.md, Concurrency), without timing.

The agent runs its real LLM assistant against the scripted OpenAI-compatible server, over
HTTP. The server holds conversation A's completion at a gate; conversation B is on the same
partition (a one-partition topic) behind A. The test passes only if B is answered while A's
request is still parked at the gate, and A is answered once released.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence

import pytest

from bancone_agent.bootstrap import build_app
from bancone_agent.domain import KnowledgeHit, Product, ProductQuery
from bancone_agent.entrypoints.consumers import Subscription
from bancone_agent.settings import AgentSettings
from bancone_contracts import AGENT_TURNS, OUTBOUND
from bancone_contracts.events.agent_turn import AgentTurnCompleted
from bancone_contracts.events.inbound import InboundMessageReceived
from bancone_contracts.events.outbound import OutboundMessageRequested
from bancone_kit.db.migrations import upgrade_database
from bancone_scripted_llm import ReplySpec, Rule, Script, running_scripted_llm
from services.agent.tests.support.service import TopicTail, body_of, inbound, publish, running

pytestmark = pytest.mark.service

CUSTOMER_A = "393330000001"
CUSTOMER_B = "393330000002"


class NoTools:
    async def search_products(self, query: ProductQuery) -> list[Product]:
        return []

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        return []

    async def get_product(self, product_id: str) -> Product | None:
        return None

    async def list_offers(self) -> list[KnowledgeHit]:
        return []


SCRIPT = Script(
    rules=[
        Rule(role="user", match="ZEBRA-A", reply=ReplySpec(content="Certo, ecco per te, A.")),
        Rule(role="user", match="ZEBRA-B", reply=ReplySpec(content="Certo, ecco per te, B.")),
    ],
    default=ReplySpec(content="Come posso aiutarti?"),
)


def answered(tail: TopicTail, customer: str) -> list[OutboundMessageRequested]:
    return [e for e in tail.of(OutboundMessageRequested) if e.data.customer_id == customer]


async def test_conversation_b_is_answered_while_a_waits_for_the_llm_on_the_same_partition(
    postgres_url: str,
    kafka_bootstrap: str,
    new_topic: Callable[..., Awaitable[str]],
) -> None:
    tenant_id = f"shop-{uuid.uuid4().hex[:10]}"
    topic = await new_topic(partitions=1, name_prefix="agent-concurrency")
    await upgrade_database(postgres_url, "bancone_agent.migrations")
    a = inbound(tenant_id, CUSTOMER_A, "Ciao, una domanda: ZEBRA-A")
    b = inbound(tenant_id, CUSTOMER_B, "Ciao, una domanda: ZEBRA-B")

    with running_scripted_llm(SCRIPT) as llm:
        settings = AgentSettings(
            database_url=postgres_url,
            kafka_bootstrap_servers=kafka_bootstrap,
            llm_base_url=llm.base_url,
            llm_model="scripted",
            llm_timeout_seconds=120,
            llm_max_retries=0,
            max_in_flight=8,
        )
        app = build_app(
            settings,
            tools_for=lambda _: NoTools(),
            subscriptions=[
                Subscription(InboundMessageReceived, topic, f"g-{tenant_id}", fold=True)
            ],
        )
        llm.hold("ZEBRA-A")
        async with (
            TopicTail(kafka_bootstrap, [OUTBOUND, AGENT_TURNS], tenant_id) as tail,
            running(app),
        ):
            await publish(kafka_bootstrap, topic, [a, b])
            await tail.until(lambda t: bool(answered(t, CUSTOMER_B)))

            assert answered(tail, CUSTOMER_A) == [], "A is still waiting for its model answer"
            assert llm.waiting("ZEBRA-A") == 1, "A's request is parked at the gate"

            assert llm.release("ZEBRA-A")
            await tail.until(
                lambda t: bool(answered(t, CUSTOMER_A)) and len(t.of(AgentTurnCompleted)) == 2
            )

    [reply_b] = answered(tail, CUSTOMER_B)
    [reply_a] = answered(tail, CUSTOMER_A)
    assert body_of(reply_b) == "Certo, ecco per te, B."
    assert body_of(reply_a) == "Certo, ecco per te, A."
    assert tail.events.index(reply_b) < tail.events.index(reply_a)
    turns = tail.of(AgentTurnCompleted)
    assert {(t.data.assistant, t.data.model, t.data.outcome) for t in turns} == {
        ("llm", "scripted", "answered")
    }
    assert all(t.data.prompt_tokens > 0 for t in turns)
