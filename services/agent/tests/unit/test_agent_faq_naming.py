"""A question about a service the shop offers, which no topic cue reads ("fate copie delle
chiavi?"), is answered by the shop's FAQ that names the customer's words better than any
product does; products still answer what they name as well."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bancone_agent.domain import KnowledgeHit, OfflineAssistant, Reply, Turn
from bancone_agent.domain.product_match import faq_naming
from services.agent.tests.support.memory_shop import MemoryShopTools, demo_shop

pytestmark = pytest.mark.unit

FERRAMENTA = Path(__file__).resolve().parents[2] / "eval" / "shops" / "ferramenta.json"


class EveryFaq(MemoryShopTools):
    """Knowledge search as the agent meets it with ingest down: every FAQ, unscored."""

    async def search_knowledge(self, text: str, kinds: Sequence[str]) -> list[KnowledgeHit]:
        self._enter("search_knowledge", text)
        return [h for h in self.faqs if h.kind in kinds]


def ferramenta() -> EveryFaq:
    shop = demo_shop(FERRAMENTA)
    return EveryFaq(products=shop.products, faqs=shop.faqs, offers=shop.offers)


async def ask(text: str) -> Reply:
    turn = Turn(tenant_id="f", conversation_id="c", text=text, shop_name="Ferramenta Rossi")
    reply = await OfflineAssistant().respond(turn, ferramenta())
    assert reply is not None
    return reply


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("fate copie delle chiavi?", "duplichiamo chiavi"),
        ("do you copy keys?", "we copy standard"),
        ("¿hacéis copias de llaves?", "duplichiamo chiavi"),
        ("can you tint paint to a colour I choose?", "tintometro"),
    ],
)
async def test_a_service_faq_answers_what_no_product_names(text: str, says: str) -> None:
    reply = await ask(text)

    assert says in reply.text
    assert reply.products_cited == ()
    assert [h.title for h in reply.knowledge_cited] != []


@pytest.mark.parametrize(
    ("text", "sku"),
    [
        ("avete un lucchetto?", "lucchetto-ottone"),
        ("quanto costa la vernice bianca?", "smalto-bianco"),
    ],
)
async def test_products_that_name_every_word_still_answer(text: str, sku: str) -> None:
    reply = await ask(text)

    assert sku in {p.sku for p in reply.products_cited}


def test_a_faq_needs_half_the_words_and_more_than_the_best_product() -> None:
    faq = KnowledgeHit(
        kind="faq", entity_id="1", score=0.0, title="Duplicate le chiavi?", text="Sì, 3 €"
    )

    assert faq_naming([faq], ["copie", "chiavi"], better_than=1) == faq
    assert faq_naming([faq], ["copies", "keys"], better_than=1) == faq
    assert faq_naming([faq], ["copie", "chiavi"], better_than=2) is None
    assert faq_naming([faq], ["martello", "chiavi"], better_than=1) is None
    assert faq_naming([faq], ["chiavi", "legno", "muro", "vernice"], better_than=0) is None
