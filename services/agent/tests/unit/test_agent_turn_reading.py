"""A turn's text is understood, and the customer's language decided, once: the escalation
rules, the assistant and its offline fallback all read them from the `Turn`."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bancone_agent.adapters.llm_assistant import LlmAssistant
from bancone_agent.adapters.llm_client import LlmOptions
from bancone_agent.bootstrap import sessions_of
from bancone_agent.domain import KnowledgeHit, Product, ProductQuery, Turn
from bancone_agent.domain.language import LanguageDetector
from bancone_agent.domain.understanding import MessageReader, Understanding
from bancone_agent.handlers import AgentDeps, Shop, handle_inbound_batch
from bancone_contracts.events.inbound import (
    Customer,
    InboundMessage,
    InboundMessageReceived,
    TextContent,
)

pytestmark = pytest.mark.unit

WINE = Product(
    id=str(uuid.uuid4()),
    sku="CHI-1",
    name="Chianti Classico",
    category="vino-rosso",
    price=Decimal("14.50"),
    stock=3,
    attributes={"colour": "red"},
)


class Tools:
    async def search_products(self, query: ProductQuery) -> list[Product]:
        return [WINE]

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        return []

    async def get_product(self, product_id: str) -> Product | None:
        return None

    async def list_offers(self) -> list[KnowledgeHit]:
        return []


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every text a `MessageReader` read, and every text a language was chosen for."""
    seen: Counter[str] = Counter()
    read, choose = MessageReader.read, LanguageDetector.choose

    def counted_read(self: MessageReader, text: str) -> Understanding:
        seen[f"read:{text.strip()}"] += 1
        return read(self, text)

    def counted_choose(
        self: LanguageDetector, text: str | None, previous: str | None, default: str
    ) -> str:
        seen[f"language:{(text or '').strip()}"] += 1
        return choose(self, text, previous, default)

    monkeypatch.setattr(MessageReader, "read", counted_read)
    monkeypatch.setattr(LanguageDetector, "choose", counted_choose)
    return seen


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


def deps_with(engine: AsyncEngine) -> AgentDeps:
    return AgentDeps(
        sessions=sessions_of(engine),
        assistant=LlmAssistant(LlmOptions()),
        tools_for=lambda tenant_id: Tools(),
        shop_for=lambda tenant_id: Shop(name="Enoteca Prova"),
    )


async def test_a_one_message_turn_reads_its_text_and_decides_its_language_once(
    engine: AsyncEngine, reads: Counter[str]
) -> None:
    text = "Avete un vino rosso sotto i 20 euro?"

    await handle_inbound_batch([inbound(text)], deps_with(engine))

    assert reads[f"read:{text}"] == 1
    assert reads[f"language:{text}"] == 1


async def test_a_folded_turn_reads_each_message_and_the_whole_once(
    engine: AsyncEngine, reads: Counter[str]
) -> None:
    first, second = "Buongiorno", "avete un Chianti?"

    await handle_inbound_batch([inbound(first), inbound(second)], deps_with(engine))

    assert reads[f"read:{first}"] == 1
    assert reads[f"read:{second}"] == 1
    assert reads[f"read:{first}\n{second}"] == 1
    assert reads[f"language:{first}\n{second}"] == 1
    assert sum(n for key, n in reads.items() if key.startswith("language:")) == 1


def test_a_turn_built_without_a_reading_reads_itself() -> None:
    turn = Turn(tenant_id="t", conversation_id="c", text="How much is the Chianti?", shop_name="S")

    assert turn.language == "en"
    assert turn.understanding.intent.value == "price_question"


def test_the_reply_language_is_one_the_assistant_can_write() -> None:
    turn = Turn(tenant_id="t", conversation_id="c", text=None, shop_name="S", default_language="fr")

    assert turn.language == "fr"
    assert turn.reply_language == "en"
